"""The git source against real servers: git daemon, smart HTTP with auth, sshd.

Commits are made and pushed with the git CLI. Most tests drive `GitSource.poll()` directly,
so each step is deterministic; the tests of `run()` cover polling, refresh, backoff and
staleness, waiting on the store with a deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest

from fasit.backoff import Backoff
from fasit.errors import SourceUnavailable
from fasit.sources import (
    FetchPolicy,
    GitAuth,
    GitLocation,
    GitSource,
    GitSourceConfig,
    RemoteCause,
)
from fasit.state import Outcome, ProblemCode, SnapshotBuilder, SnapshotStore
from tests.helpers import FEATURE, assignment, environment
from tests.integration.git_servers import GitDaemon, GitHttpServer, GitWork, Sshd
from tests.integration.waiting import eventually

REPO = "repo.git"
QUICK = Backoff(initial=0.05, maximum=0.2)


def write_state(work: GitWork, version: str = "1.0.0", root: str = "") -> None:
    work.write(f"{root}environments/nav/prod.yaml", environment("prod"))
    work.write(f"{root}features/aivenator.yaml", FEATURE)
    work.write(f"{root}assignments/aivenator.yaml", assignment(version))


def commit_state(work: GitWork, version: str = "1.0.0", message: str = "") -> str:
    write_state(work, version)
    sha = work.commit(message or f"aivenator {version}")
    work.push()
    return sha


def served_id(store: SnapshotStore) -> str | None:
    return store.current.revision.id if store.current else None


def served_version(store: SnapshotStore) -> str:
    assert store.current is not None
    [assignment] = store.current.index.assignments
    return assignment.model.version


@pytest.fixture
def store() -> SnapshotStore:
    return SnapshotStore()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache.git"


class MakeSource(Protocol):
    def __call__(
        self, url: str, store: SnapshotStore, cache_dir: Path, **options: Any
    ) -> GitSource: ...


@pytest.fixture
def make_source() -> Iterator[MakeSource]:
    """Build git sources with quick backoff; every one is closed after the test."""
    made: list[GitSource] = []

    def make(
        url: str,
        store: SnapshotStore,
        cache_dir: Path,
        *,
        ref: str = "HEAD",
        directory: str = "",
        auth: GitAuth | None = None,
        poll_interval: float = 60.0,
        fetch_policy: FetchPolicy = FetchPolicy.STRICT,
    ) -> GitSource:
        config = GitSourceConfig(
            GitLocation(url, ref, directory),
            cache_dir,
            auth or GitAuth(),
            poll_interval,
            fetch_policy,
            QUICK,
        )
        made.append(GitSource(config, SnapshotBuilder(), store))
        return made[-1]

    yield make
    for source in made:
        source.close()


@asynccontextmanager
async def running(source: GitSource) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(source.run())
    try:
        yield task
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_pushed_commit_is_served_with_its_author_and_message(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    sha = commit_state(git_work, message="roll aivenator 1.0.0")
    source = make_source(git_daemon.url(REPO), store, cache_dir)

    await source.poll()

    assert store.current is not None
    revision = store.current.revision
    assert revision.id == sha
    assert revision.author == f"{git_work.name} <{git_work.email}>"
    assert revision.message == "roll aivenator 1.0.0"
    assert revision.source == f"{git_daemon.url(REPO)}@HEAD"


async def test_a_broken_commit_is_recorded_and_the_previous_snapshot_kept(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    good = commit_state(git_work)
    source = make_source(git_daemon.url(REPO), store, cache_dir)
    await source.poll()

    git_work.write("features/broken.yaml", "kind: [\n")
    broken = git_work.commit("break it")
    git_work.push()
    await source.poll()

    assert served_id(store) == good
    assert store.failed is not None
    assert store.failed.record.revision.id == broken
    assert [(p.file, p.code) for p in store.failed.problems] == [
        ("features/broken.yaml", ProblemCode.YAML_SYNTAX)
    ]
    assert store.freshness.stale


async def test_the_next_good_commit_is_served_after_a_broken_one(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    commit_state(git_work)
    source = make_source(git_daemon.url(REPO), store, cache_dir)
    await source.poll()
    git_work.write("features/broken.yaml", "kind: [\n")
    git_work.commit("break it")
    git_work.push()
    await source.poll()

    git_work.remove("features/broken.yaml")
    fixed = commit_state(git_work, "1.1.0")
    await source.poll()

    assert served_id(store) == fixed
    assert [record.outcome for record in store.history] == [
        Outcome.SERVED,
        Outcome.FAILED,
        Outcome.SERVED,
    ]
    assert not store.freshness.stale


async def test_a_force_push_rewind_is_followed(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    first = commit_state(git_work, "1.0.0")
    source = make_source(git_daemon.url(REPO), store, cache_dir)
    await source.poll()
    commit_state(git_work, "2.0.0")
    await source.poll()

    git_work.reset_hard(first)
    git_work.push(force=True)
    await source.poll()

    assert served_version(store) == "1.0.0"
    assert served_id(store) == first


@pytest.mark.parametrize("annotated", [False, True], ids=["lightweight", "annotated"])
async def test_a_tag_is_followed(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    annotated: bool,
    make_source: MakeSource,
) -> None:
    tagged = commit_state(git_work, "1.0.0")
    git_work.tag("release", annotated=annotated)
    git_work.push_tags()
    commit_state(git_work, "2.0.0")  # main moves on; the tag does not
    source = make_source(git_daemon.url(REPO), store, cache_dir, ref="release")

    await source.poll()

    assert served_id(store) == tagged
    assert served_version(store) == "1.0.0"


async def test_a_pinned_commit_is_served_whatever_the_branch_does(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    pinned = commit_state(git_work, "1.0.0")
    commit_state(git_work, "2.0.0")
    source = make_source(git_daemon.url(REPO), store, cache_dir, ref=pinned)

    await source.poll()
    commit_state(git_work, "3.0.0")
    await source.poll()

    assert served_version(store) == "1.0.0"
    assert len(store.history) == 1


async def test_a_subdirectory_is_the_state_root(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    write_state(git_work, root="deploy/fasit/")
    git_work.write("deploy/other/broken.yaml", "kind: [\n")  # outside the state root
    git_work.commit("state in a subdirectory")
    git_work.push()
    source = make_source(git_daemon.url(REPO), store, cache_dir, directory="deploy/fasit")

    await source.poll()

    assert store.current is not None
    assert store.current.problems == ()
    assert list(store.current.index.environments) == ["nav/prod"]


async def test_a_commit_without_the_subdirectory_is_not_served(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    commit_state(git_work)
    source = make_source(git_daemon.url(REPO), store, cache_dir, directory="deploy")

    await source.poll()

    assert not store.ready
    assert store.failed is not None
    [problem] = store.failed.problems
    assert problem.code is ProblemCode.UNREADABLE_FILE
    assert "no directory 'deploy' at commit" in problem.message


async def test_a_symlink_in_the_commit_is_an_error(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    write_state(git_work)
    (git_work.work / "features/link.yaml").symlink_to("aivenator.yaml")
    git_work.commit("a link")
    git_work.push()
    source = make_source(git_daemon.url(REPO), store, cache_dir)

    await source.poll()

    assert not store.ready
    assert store.failed is not None
    assert [(p.file, p.code) for p in store.failed.problems] == [
        ("features/link.yaml", ProblemCode.SYMLINK)
    ]


async def test_an_unknown_ref_names_the_refs_there_are(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    source = make_source(git_daemon.url(REPO), store, cache_dir, ref="release")

    with pytest.raises(SourceUnavailable) as raised:
        await source.poll()

    assert raised.value.cause == RemoteCause.REF_MISSING
    assert str(raised.value) == f"{git_daemon.url(REPO)}: no branch or tag named 'release'" + (
        " (the remote has main)"
    )


async def test_an_unchanged_ref_is_not_fetched_again(
    git_work: GitWork,
    git_http: GitHttpServer,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    commit_state(git_work)
    auth = GitAuth(username=git_http.username, password=git_http.password)
    source = make_source(git_http.url(REPO), store, cache_dir, auth=auth)

    await source.poll()
    packs = sorted((cache_dir / "objects" / "pack").glob("*.pack"))
    asked = len([r for r in git_http.requests if r.path.endswith("/info/refs")])
    await source.poll()
    await source.poll()

    assert len(packs) == 1  # fetched once...
    # ...and only asked for the ref since
    assert len([r for r in git_http.requests if r.path.endswith("/info/refs")]) == asked + 2
    assert sorted((cache_dir / "objects" / "pack").glob("*.pack")) == packs
    assert len(store.history) == 1


async def test_http_basic_auth_reads_the_repository(
    git_work: GitWork,
    git_http: GitHttpServer,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    sha = commit_state(git_work)
    auth = GitAuth(username=git_http.username, password=git_http.password)

    await make_source(git_http.url(REPO), store, cache_dir, auth=auth).poll()

    assert served_id(store) == sha


async def test_a_bearer_token_reads_the_repository(
    git_work: GitWork,
    git_http: GitHttpServer,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    sha = commit_state(git_work)

    auth = GitAuth(bearer_token=git_http.token)
    await make_source(git_http.url(REPO), store, cache_dir, auth=auth).poll()

    assert served_id(store) == sha
    assert {r.auth_scheme for r in git_http.requests if r.status == 200} == {"bearer"}


async def test_a_wrong_password_is_an_auth_error_that_hides_the_password(
    git_work: GitWork,
    git_http: GitHttpServer,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    commit_state(git_work)
    auth = GitAuth(username=git_http.username, password="wrong-password")
    source = make_source(git_http.url(REPO), store, cache_dir, auth=auth)

    with pytest.raises(SourceUnavailable) as raised:
        await source.poll()

    assert raised.value.cause == RemoteCause.AUTH
    assert "authentication failed (HTTP 401)" in str(raised.value)
    assert "wrong-password" not in str(raised.value) + repr(auth)


async def test_ssh_with_a_key_and_known_hosts_reads_the_repository(
    git_work: GitWork,
    git_sshd: Sshd,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    sha = commit_state(git_work)
    auth = GitAuth(ssh_key_file=git_sshd.client_key, known_hosts_file=git_sshd.known_hosts)

    await make_source(git_sshd.url(git_work.bare), store, cache_dir, auth=auth).poll()

    assert served_id(store) == sha


async def test_an_unknown_ssh_host_key_is_refused(
    git_work: GitWork,
    git_sshd: Sshd,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    commit_state(git_work)
    auth = GitAuth(ssh_key_file=git_sshd.client_key, known_hosts_file=git_sshd.wrong_known_hosts)
    source = make_source(git_sshd.url(git_work.bare), store, cache_dir, auth=auth)

    with pytest.raises(SourceUnavailable) as raised:
        await source.poll()

    assert raised.value.cause == RemoteCause.HOST_KEY
    assert "host key" in str(raised.value)


async def test_an_unauthorized_ssh_key_is_an_auth_error(
    git_work: GitWork,
    git_sshd: Sshd,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    commit_state(git_work)
    auth = GitAuth(ssh_key_file=git_sshd.unauthorized_key, known_hosts_file=git_sshd.known_hosts)
    source = make_source(git_sshd.url(git_work.bare), store, cache_dir, auth=auth)

    with pytest.raises(SourceUnavailable) as raised:
        await source.poll()

    assert raised.value.cause == RemoteCause.AUTH
    assert "the server refused the key" in str(raised.value)


async def test_polling_serves_a_pushed_commit(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    commit_state(git_work, "1.0.0")
    source = make_source(git_daemon.url(REPO), store, cache_dir, poll_interval=0.1)

    async with running(source):
        await eventually(lambda: store.ready, "the first snapshot")
        pushed = commit_state(git_work, "2.0.0")
        await eventually(
            lambda: served_id(store) == pushed,
            "the pushed commit to be served",
        )


async def test_refresh_polls_now_and_repeated_calls_coalesce(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    commit_state(git_work, "1.0.0")
    source = make_source(git_daemon.url(REPO), store, cache_dir, poll_interval=3600)

    async with running(source):
        await eventually(lambda: store.ready, "the first snapshot")
        pushed = commit_state(git_work, "2.0.0")
        polls = source.polls
        for _ in range(10):
            source.refresh()
        await eventually(
            lambda: served_id(store) == pushed,
            "the refreshed commit to be served",
        )
        await asyncio.sleep(0.2)  # room for any extra poll the calls might have caused
        assert source.polls == polls + 1


async def test_a_remote_down_mid_run_keeps_serving_and_reports_stale(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    first = commit_state(git_work, "1.0.0")
    source = make_source(git_daemon.url(REPO), store, cache_dir, poll_interval=0.1)

    async with running(source):
        await eventually(lambda: store.ready, "the first snapshot")
        git_daemon.stop()
        await eventually(lambda: store.freshness.stale, "the store to report stale")
        assert served_id(store) == first
        assert store.freshness.reason == f"{git_daemon.url(REPO)}: connection refused (refused)"

        pushed = commit_state(git_work, "2.0.0")
        git_daemon.start()
        await eventually(
            lambda: served_id(store) == pushed,
            "the commit pushed while the remote was down",
        )
        assert not store.freshness.stale


async def fill_cache_then_stop(
    work: GitWork, daemon: GitDaemon, cache_dir: Path, make_source: MakeSource
) -> str:
    """A commit fetched into `cache_dir` by an earlier run, and the remote down since."""
    sha = commit_state(work)
    await make_source(daemon.url(REPO), SnapshotStore(), cache_dir).poll()
    daemon.stop()
    return sha


async def test_a_strict_start_with_the_remote_down_serves_nothing(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    await fill_cache_then_stop(git_work, git_daemon, cache_dir, make_source)
    source = make_source(git_daemon.url(REPO), store, cache_dir, poll_interval=0.1)

    async with running(source):
        await eventually(lambda: store.freshness.stale, "the source to report the remote down")
        assert not store.ready


async def test_a_lenient_start_with_the_remote_down_serves_the_cache(
    git_work: GitWork,
    git_daemon: GitDaemon,
    store: SnapshotStore,
    cache_dir: Path,
    make_source: MakeSource,
) -> None:
    cached = await fill_cache_then_stop(git_work, git_daemon, cache_dir, make_source)
    source = make_source(
        git_daemon.url(REPO), store, cache_dir, poll_interval=0.1, fetch_policy=FetchPolicy.LENIENT
    )

    async with running(source):
        await eventually(lambda: store.ready, "the cached revision to be served")
        assert served_id(store) == cached
        assert store.freshness.stale

"""`fasit validate --git`: a remote revision checked without a checkout, as the server reads it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fasit.sources import GitLocation, GitSource, GitSourceConfig
from fasit.state import SnapshotBuilder, SnapshotStore
from tests.helpers import BROKEN, FIXTURES, run_cli
from tests.integration.git_servers import GitDaemon, GitHttpServer, GitWork

REPO = "repo.git"
EXAMPLE = Path(__file__).parents[2] / "example-state-repo"


def push_tree(work: GitWork, source: Path, directory: str = "") -> str:
    shutil.copytree(source, work.work / directory, dirs_exist_ok=True)
    sha = work.commit(f"copy {source.name}")
    work.push()
    return sha


def test_a_remote_revision_validates_like_the_same_directory(
    git_work: GitWork, git_daemon: GitDaemon
) -> None:
    push_tree(git_work, EXAMPLE, "state")

    remote = run_cli("validate", "--git", git_daemon.url(REPO), "--directory", "state")
    local = run_cli("validate", EXAMPLE)

    assert remote.exit_code == local.exit_code == 0
    assert remote.stdout == local.stdout


def test_remote_problems_are_the_directory_problems(
    git_work: GitWork, git_daemon: GitDaemon
) -> None:
    push_tree(git_work, FIXTURES / "broken" / "many-problems", "deploy")
    url = git_daemon.url(REPO)

    remote = run_cli("validate", "--git", url, "--directory", "deploy", "--format", "json")
    local = run_cli("validate", FIXTURES / "broken" / "many-problems", "--format", "json")

    assert remote.exit_code == local.exit_code == 1
    assert remote.json == local.json  # JSON paths are relative to the state root


def test_remote_problems_in_text_name_paths_from_the_repository_root(
    git_work: GitWork, git_daemon: GitDaemon
) -> None:
    push_tree(git_work, FIXTURES / "broken" / "many-problems", "deploy")

    run = run_cli("validate", "--git", git_daemon.url(REPO), "--directory", "deploy")

    problem_lines = [line for line in run.stdout.splitlines()[:-1] if line]
    assert len(problem_lines) == 7
    assert all(line.startswith("deploy/") for line in problem_lines)


async def test_validate_and_the_snapshot_builder_report_the_same_problems(
    git_work: GitWork, git_daemon: GitDaemon, tmp_path: Path
) -> None:
    push_tree(git_work, FIXTURES / "broken" / "many-problems")
    store = SnapshotStore()
    config = GitSourceConfig(GitLocation(git_daemon.url(REPO)), tmp_path / "cache.git")
    source = GitSource(config, SnapshotBuilder(), store)
    try:
        await source.poll()
    finally:
        source.close()

    validated = run_cli("validate", "--git", git_daemon.url(REPO), "--format", "json")

    assert store.failed is not None
    built = [(p.file, p.line, p.column, p.code) for p in store.failed.problems]
    assert built == validated.problems()
    assert len(built) == 7


def test_a_tag_is_validated_at_its_commit(git_work: GitWork, git_daemon: GitDaemon) -> None:
    push_tree(git_work, EXAMPLE)
    git_work.tag("v1", annotated=True)
    git_work.push_tags()
    push_tree(git_work, BROKEN / "yaml-syntax")

    tagged = run_cli("validate", "--git", git_daemon.url(REPO), "--ref", "v1")
    tip = run_cli("validate", "--git", git_daemon.url(REPO), "--ref", "main")

    assert (tagged.exit_code, tip.exit_code) == (0, 1)


def test_an_unknown_ref_cannot_run(git_work: GitWork, git_daemon: GitDaemon) -> None:
    run = run_cli("validate", "--git", git_daemon.url(REPO), "--ref", "release")

    assert run.exit_code == 2
    assert run.stderr == (
        f"fasit: {git_daemon.url(REPO)}: no branch or tag named 'release' (the remote has main)\n"
    )


def test_a_missing_directory_cannot_run(git_work: GitWork, git_daemon: GitDaemon) -> None:
    run = run_cli("validate", "--git", git_daemon.url(REPO), "--directory", "deploy")

    assert run.exit_code == 2
    assert "no directory 'deploy' at commit" in run.stderr


def test_credentials_come_from_the_environment(
    git_work: GitWork, git_http: GitHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_tree(git_work, EXAMPLE)
    denied = run_cli("validate", "--git", git_http.url(REPO))
    monkeypatch.setenv("FASIT_GIT_USERNAME", git_http.username)
    monkeypatch.setenv("FASIT_GIT_PASSWORD", git_http.password)
    allowed = run_cli("validate", "--git", git_http.url(REPO))

    assert denied.exit_code == 2
    assert "authentication failed (HTTP 401)" in denied.stderr
    assert allowed.exit_code == 0


def test_a_path_and_a_url_together_cannot_run(git_daemon: GitDaemon) -> None:
    run = run_cli("validate", ".", "--git", git_daemon.url(REPO))

    assert run.exit_code == 2
    assert run.stderr == "fasit: give either a PATH or --git URL, not both\n"


def test_a_password_in_the_url_is_never_shown(git_work: GitWork, git_http: GitHttpServer) -> None:
    push_tree(git_work, EXAMPLE)
    url = git_http.url(REPO, credentials=True)

    valid = run_cli("-v", "validate", "--git", url)
    missing = run_cli("-v", "validate", "--git", url, "--ref", "no-such-branch")

    assert valid.exit_code == 0
    assert missing.exit_code == 2
    assert "http://fasit:***@127.0.0.1" in missing.stderr
    for run in (valid, missing):
        assert git_http.password not in run.stdout + run.stderr

"""The git server fixtures work, with the git CLI and with dulwich, and fail the way they should.

The failure tests also pin down what dulwich raises for each kind of broken remote, which is
what fasit's error classification relies on.
"""

from __future__ import annotations

import base64
import gc
import os
import shlex
import socket
import subprocess
import urllib.error
import urllib.request
import warnings
from collections.abc import Mapping
from pathlib import Path

import pytest
from dulwich.client import GitClient, HTTPUnauthorized, get_transport_and_path
from dulwich.config import ConfigDict
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
from dulwich.objects import ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo

from tests.integration.git_servers import (
    HTTP_PASSWORD,
    HTTP_TOKEN,
    HTTP_USERNAME,
    REPOSITORY,
    GitDaemon,
    GitHttpServer,
    GitWork,
    Sshd,
    git_environment,
    run_git,
)
from tests.integration.processes import LOOPBACK, ServerFailed, ServerProcess, free_port

MAIN = Ref(b"refs/heads/main")


# --- helpers -------------------------------------------------------------------------------


def _remote_refs(url: str, env: dict[str, str]) -> dict[str, str]:
    """`git ls-remote` as {ref: sha}."""
    listing = run_git(["ls-remote", url], env=env)
    return {ref: sha for sha, ref in (line.split("\t") for line in listing.splitlines())}


def _want_main(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
    return [refs[MAIN]]


def _dulwich_fetch_main(client: GitClient, path: str, target: Path) -> str:
    """Fetch main into a new bare repository at `target`; return the SHA it now holds."""
    with Repo.init_bare(str(target), mkdir=True) as repo:
        result = client.fetch(path, repo, determine_wants=_want_main)
        sha = result.refs[MAIN]
        assert sha is not None
        assert sha in repo.object_store
        return sha.decode()


def _dulwich_refs(client: GitClient, path: str) -> dict[Ref, ObjectID | None]:
    return client.get_refs(path.encode()).refs


def _dulwich_ls_remote_failure(client: GitClient, path: str) -> Exception:
    """The exception get_refs raises, with the connection dulwich leaks reclaimed right here.

    dulwich 1.2.21 leaves the ssh process and its Protocol open when the remote hangs up while
    negotiating; the Protocol's finaliser closes them with a ResourceWarning. Dropping the
    tracebacks (which hold the frame holding it) and collecting under a filter keeps that
    warning from failing whichever later test the garbage collector happens to run in.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            client.get_refs(path.encode())
        except Exception as error:
            failure = error
        else:
            raise AssertionError(f"get_refs({path!r}) unexpectedly succeeded")
        _drop_tracebacks(failure)
        gc.collect()
    return failure


def _drop_tracebacks(error: BaseException | None) -> None:
    while error is not None:
        error.__traceback__ = None
        error = error.__cause__ or error.__context__


def _http_status(url: str) -> tuple[int, str | None]:
    """Status and WWW-Authenticate of a GET without credentials."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("WWW-Authenticate")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("WWW-Authenticate")


def _closed_by_peer(connection: socket.socket) -> bool:
    """Whether the other end has closed: end of stream, or a reset (killed mid-handshake)."""
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True


def _ssh_env(git_env: dict[str, str], sshd: Sshd) -> dict[str, str]:
    return {**git_env, "GIT_SSH_COMMAND": sshd.ssh_command()}


# --- readiness ---------------------------------------------------------------------------


def test_a_server_that_exits_early_fails_with_its_stderr(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    process = ServerProcess("git daemon", ["git", "daemon", "--bogus"], git_env, tmp_path / "log")

    with pytest.raises(ServerFailed, match=r"(?s)exited with status \d+ .*usage: git daemon"):
        process.start(free_port(), timeout=10)

    assert not process.running


def test_a_server_that_never_listens_fails_at_the_deadline(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    # The daemon listens, but on another port than the one awaited.
    argv = ["git", "daemon", f"--listen={LOOPBACK}", f"--port={free_port()}", str(tmp_path)]
    process = ServerProcess("git daemon", argv, git_env, tmp_path / "log")

    with pytest.raises(ServerFailed, match=r"is not listening on .* after 0\.3s; stderr:"):
        process.start(free_port(), timeout=0.3)

    assert not process.running


# --- GitWork -------------------------------------------------------------------------------


def test_commit_returns_the_new_head_and_push_publishes_it(git_work: GitWork) -> None:
    git_work.write("app/values.yaml", "replicas: 2\n")

    sha = git_work.commit("scale up")
    git_work.push()

    assert sha == git_work.head() == git_work.remote_sha("main")


def test_commits_are_reproducible_across_runs(tmp_path: Path) -> None:
    def first_commit(name: str) -> str:
        work = GitWork.create(
            tmp_path / name / "repo.git", tmp_path / name / "work", git_environment(tmp_path)
        )
        work.write("file.txt", "same\n")
        return work.commit("same")

    assert first_commit("one") == first_commit("two")


def test_remove_then_commit_drops_the_file(git_work: GitWork) -> None:
    git_work.remove("README.md")
    git_work.commit("remove readme")

    assert git_work.git("ls-files") == ""


def test_force_push_rewinds_the_bare_repository(git_work: GitWork) -> None:
    first = git_work.head()
    git_work.write("next.txt", "next\n")
    git_work.commit("next")
    git_work.push()

    git_work.reset_hard(first)
    git_work.push(force=True)

    assert git_work.remote_sha("main") == first


def test_annotated_tag_points_at_a_tag_object(git_work: GitWork) -> None:
    tag = git_work.tag("v1", annotated=True)
    git_work.push_tags()

    assert tag != git_work.head()
    assert git_work.remote_sha("refs/tags/v1^{commit}") == git_work.head()


def test_lightweight_tag_points_at_the_commit(git_work: GitWork) -> None:
    assert git_work.tag("v1") == git_work.head()


def test_deleting_a_remote_branch_removes_it(git_work: GitWork) -> None:
    git_work.push("feature")

    git_work.delete_remote_ref("feature")

    assert "refs/heads/feature" not in _remote_refs(str(git_work.bare), git_work.env)


# --- git daemon ----------------------------------------------------------------------------


def test_git_daemon_serves_ls_remote(git_work: GitWork, git_daemon: GitDaemon) -> None:
    refs = _remote_refs(git_daemon.url(REPOSITORY), git_work.env)

    assert refs["refs/heads/main"] == git_work.head()


def test_git_daemon_serves_a_dulwich_fetch(
    tmp_path: Path, git_work: GitWork, git_daemon: GitDaemon
) -> None:
    client, path = get_transport_and_path(git_daemon.url(REPOSITORY))

    assert _dulwich_fetch_main(client, path, tmp_path / "fetched") == git_work.head()


def test_git_daemon_accepts_pushes(git_work: GitWork, git_daemon: GitDaemon) -> None:
    git_work.write("pushed.txt", "over git://\n")
    sha = git_work.commit("push over the daemon")

    git_work.git("push", "--quiet", git_daemon.url(REPOSITORY), "HEAD:refs/heads/main")

    assert git_work.remote_sha("main") == sha


def test_git_daemon_refuses_connections_while_stopped(
    git_work: GitWork, git_daemon: GitDaemon
) -> None:
    client, path = get_transport_and_path(git_daemon.url(REPOSITORY))
    git_daemon.stop()

    failure = _dulwich_ls_remote_failure(client, path)

    assert isinstance(failure, ConnectionRefusedError)


def test_git_daemon_comes_back_on_the_same_port(git_work: GitWork, git_daemon: GitDaemon) -> None:
    url = git_daemon.url(REPOSITORY)
    git_daemon.stop()

    git_daemon.start()

    assert git_daemon.url(REPOSITORY) == url
    assert _remote_refs(url, git_work.env)["refs/heads/main"] == git_work.head()


def test_a_stopped_git_daemon_keeps_its_port_from_other_servers(git_daemon: GitDaemon) -> None:
    git_daemon.stop()

    with socket.socket() as other, pytest.raises(OSError, match="Address already in use"):
        other.bind((LOOPBACK, git_daemon.port))


def test_git_daemon_stop_drops_connections_in_flight(git_daemon: GitDaemon) -> None:
    with socket.create_connection((LOOPBACK, git_daemon.port), timeout=10) as connection:
        git_daemon.stop()

        assert _closed_by_peer(connection)


def test_dulwich_reports_a_repository_git_daemon_does_not_export(
    git_work: GitWork, git_daemon: GitDaemon
) -> None:
    client, path = get_transport_and_path(git_daemon.url("missing.git"))

    failure = _dulwich_ls_remote_failure(client, path)

    assert type(failure) is GitProtocolError
    assert str(failure) == "access denied or repository not exported: /missing.git"


# --- smart HTTP ----------------------------------------------------------------------------


def test_git_http_challenges_requests_without_credentials(git_http: GitHttpServer) -> None:
    status, challenge = _http_status(git_http.url(f"{REPOSITORY}/info/refs"))

    assert (status, challenge) == (401, 'Basic realm="git"')


def test_git_http_serves_a_clone_with_basic_credentials(
    tmp_path: Path, git_work: GitWork, git_http: GitHttpServer
) -> None:
    url = git_http.url(REPOSITORY, credentials=True)

    run_git(["clone", "--quiet", url, str(tmp_path / "clone")], env=git_work.env)

    assert run_git(["-C", str(tmp_path / "clone"), "rev-parse", "HEAD"], env=git_work.env) == (
        git_work.head()
    )


def test_git_http_serves_ls_remote_with_a_bearer_token(
    git_work: GitWork, git_http: GitHttpServer
) -> None:
    header = f"http.extraHeader=Authorization: Bearer {HTTP_TOKEN}"

    listing = run_git(["-c", header, "ls-remote", git_http.url(REPOSITORY)], env=git_work.env)

    assert f"{git_work.head()}\trefs/heads/main" in listing.splitlines()
    assert {request.auth_scheme for request in git_http.requests} == {"bearer"}


def test_git_http_rejects_the_git_cli_without_credentials(
    git_work: GitWork, git_http: GitHttpServer
) -> None:
    with pytest.raises(subprocess.CalledProcessError) as raised:
        run_git(["ls-remote", git_http.url(REPOSITORY)], env=git_work.env)

    assert "Authentication failed" in raised.value.stderr


def test_git_http_takes_a_large_chunked_push(git_work: GitWork, git_http: GitHttpServer) -> None:
    # Over http.postBuffer (1 MiB) git streams the pack with chunked transfer encoding.
    # Random bytes do not compress, so the pack stays over that limit.
    git_work.write("large.txt", base64.b64encode(os.urandom(1_500_000)).decode())
    sha = git_work.commit("large file")

    git_work.git("push", "--quiet", git_http.url(REPOSITORY, credentials=True), "HEAD:main")

    assert git_work.remote_sha("main") == sha
    assert any(request.chunked for request in git_http.requests)


def test_git_http_takes_gzipped_fetch_requests(
    tmp_path: Path, git_work: GitWork, git_http: GitHttpServer
) -> None:
    # git gzips upload-pack requests over 1 KiB; 25 wants (50 bytes each) make one, and
    # every annotated tag is an object of its own to want.
    for number in range(25):
        git_work.git("tag", "-a", "-m", f"tag {number}", f"t{number}")
    git_work.push_tags()
    url = git_http.url(REPOSITORY, credentials=True)

    run_git(["clone", "--quiet", "--no-checkout", url, str(tmp_path / "c")], env=git_work.env)

    assert any(request.content_encoding == "gzip" for request in git_http.requests)


def test_git_http_serves_a_dulwich_fetch_with_basic_credentials(
    tmp_path: Path, git_work: GitWork, git_http: GitHttpServer
) -> None:
    client, path = get_transport_and_path(
        git_http.url(REPOSITORY), username=HTTP_USERNAME, password=HTTP_PASSWORD
    )

    assert _dulwich_fetch_main(client, path, tmp_path / "fetched") == git_work.head()


def test_git_http_serves_dulwich_with_a_bearer_extra_header(
    git_work: GitWork, git_http: GitHttpServer
) -> None:
    config = ConfigDict()
    config.set((b"http",), b"extraHeader", f"Authorization: Bearer {HTTP_TOKEN}".encode())
    client, path = get_transport_and_path(git_http.url(REPOSITORY), config=config)

    assert _dulwich_refs(client, path)[MAIN] == git_work.head().encode()


def test_dulwich_raises_http_unauthorized_for_a_wrong_password(
    git_work: GitWork, git_http: GitHttpServer
) -> None:
    client, path = get_transport_and_path(
        git_http.url(REPOSITORY), username=HTTP_USERNAME, password="wrong"
    )

    failure = _dulwich_ls_remote_failure(client, path)

    assert type(failure) is HTTPUnauthorized
    assert str(failure) == "No valid credentials provided"
    assert failure.www_authenticate == 'Basic realm="git"'


def test_dulwich_raises_not_git_repository_for_a_missing_http_repository(
    git_work: GitWork, git_http: GitHttpServer
) -> None:
    client, path = get_transport_and_path(
        git_http.url("missing.git"), username=HTTP_USERNAME, password=HTTP_PASSWORD
    )

    failure = _dulwich_ls_remote_failure(client, path)

    assert type(failure) is NotGitRepository


def test_dulwich_ls_remote_lacks_an_unknown_ref(git_work: GitWork, git_http: GitHttpServer) -> None:
    client, path = get_transport_and_path(
        git_http.url(REPOSITORY), username=HTTP_USERNAME, password=HTTP_PASSWORD
    )

    refs = _dulwich_refs(client, path)

    assert MAIN in refs
    assert Ref(b"refs/heads/no-such-branch") not in refs


def test_git_http_comes_back_on_the_same_port(git_work: GitWork, git_http: GitHttpServer) -> None:
    client, path = get_transport_and_path(
        git_http.url(REPOSITORY), username=HTTP_USERNAME, password=HTTP_PASSWORD
    )
    git_http.stop()
    failure = _dulwich_ls_remote_failure(client, path)

    git_http.start()

    assert type(failure) is GitProtocolError
    assert "Connection refused" in str(failure)
    assert _dulwich_refs(client, path)[MAIN] == git_work.head().encode()


# --- sshd ----------------------------------------------------------------------------------


def test_sshd_serves_a_git_cli_clone(tmp_path: Path, git_work: GitWork, git_sshd: Sshd) -> None:
    env = _ssh_env(git_work.env, git_sshd)

    run_git(["clone", "--quiet", git_sshd.url(git_work.bare), str(tmp_path / "clone")], env=env)

    assert run_git(["-C", str(tmp_path / "clone"), "rev-parse", "HEAD"], env=env) == (
        git_work.head()
    )


def test_sshd_serves_a_dulwich_fetch_with_an_ssh_command(
    tmp_path: Path, git_work: GitWork, git_sshd: Sshd
) -> None:
    client, path = get_transport_and_path(
        git_sshd.url(git_work.bare), ssh_command=git_sshd.ssh_command()
    )

    assert _dulwich_fetch_main(client, path, tmp_path / "fetched") == git_work.head()


def test_dulwich_ssh_raises_hangup_for_a_changed_host_key(
    git_work: GitWork, git_sshd: Sshd
) -> None:
    client, path = get_transport_and_path(
        git_sshd.url(git_work.bare),
        ssh_command=git_sshd.ssh_command(known_hosts=git_sshd.wrong_known_hosts),
    )

    failure = _dulwich_ls_remote_failure(client, path)

    assert type(failure) is HangupException
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in str(failure)
    assert str(failure).splitlines()[-1].strip() == "Host key verification failed."


def test_dulwich_ssh_raises_hangup_for_an_unauthorized_key(
    git_work: GitWork, git_sshd: Sshd
) -> None:
    client, path = get_transport_and_path(
        git_sshd.url(git_work.bare), ssh_command=git_sshd.ssh_command(key=git_sshd.unauthorized_key)
    )

    failure = _dulwich_ls_remote_failure(client, path)

    assert type(failure) is HangupException
    assert str(failure).strip() == f"{git_sshd.user}@{LOOPBACK}: Permission denied (publickey)."


def test_dulwich_ssh_raises_hangup_for_a_refused_connection(
    git_work: GitWork, git_sshd: Sshd
) -> None:
    port = free_port()
    client, path = get_transport_and_path(
        f"ssh://{git_sshd.user}@{LOOPBACK}:{port}{git_work.bare}",
        ssh_command=git_sshd.ssh_command(),
    )

    failure = _dulwich_ls_remote_failure(client, path)

    assert type(failure) is HangupException
    assert (
        str(failure).strip() == f"ssh: connect to host {LOOPBACK} port {port}: Connection refused"
    )


def test_dulwich_ssh_raises_hangup_for_a_missing_repository(
    tmp_path: Path, git_work: GitWork, git_sshd: Sshd
) -> None:
    missing = tmp_path / "missing.git"
    client, path = get_transport_and_path(git_sshd.url(missing), ssh_command=git_sshd.ssh_command())

    failure = _dulwich_ls_remote_failure(client, path)

    assert type(failure) is HangupException
    assert str(failure) == f"fatal: '{missing}' does not appear to be a git repository"


def test_sshd_stop_drops_sessions_in_flight(git_sshd: Sshd) -> None:
    login = ["-p", str(git_sshd.port), f"{git_sshd.user}@{LOOPBACK}"]
    argv = [*shlex.split(git_sshd.ssh_command()), *login, "echo up; sleep 60"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as session:
        assert session.stdout is not None
        assert session.stdout.readline() == b"up\n"

        git_sshd.stop()
        _, stderr = session.communicate(timeout=10)

    assert session.returncode == 255
    assert b"closed by remote host" in stderr


def test_sshd_comes_back_on_the_same_port(git_work: GitWork, git_sshd: Sshd) -> None:
    url = git_sshd.url(git_work.bare)
    git_sshd.stop()

    git_sshd.start()

    refs = _remote_refs(url, _ssh_env(git_work.env, git_sshd))
    assert refs["refs/heads/main"] == git_work.head()

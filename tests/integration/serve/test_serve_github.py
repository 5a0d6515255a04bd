"""`fasit serve --github-status-token-file` end to end: a github-hosted remote (the API's own
host, as GitHub Enterprise has it) gets commit statuses on a recording statuses endpoint; any
other source gets none, and the log says so once."""

from __future__ import annotations

from pathlib import Path

from tests.integration.git_servers import GitDaemon, GitWork
from tests.integration.github.statuses_server import StatusesServer
from tests.integration.serve.support import serve
from tests.integration.serve.test_serve import fleet
from tests.integration.serve.test_serve_git import HOUR

TOKEN = "ghp_serveT0ken"


def test_a_served_commit_gets_pending_then_success_with_a_link_to_its_revision(
    tmp_path: Path, git_root: Path, git_env: dict[str, str], git_daemon: GitDaemon
) -> None:
    work = GitWork.create(git_root / "nais" / "fasit-state.git", tmp_path / "work", git_env)
    for path, text in fleet().items():
        work.write(path, text)
    head = work.commit("web 1.0.0")
    work.push()
    token = tmp_path / "github-token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    with StatusesServer() as github:
        served = serve(
            tmp_path,
            "--git",
            git_daemon.url("nais/fasit-state.git"),
            "--ref",
            "main",
            "--poll-interval",
            HOUR,
            "--fake-agents",
            "--github-status-token-file",
            str(token),
            "--github-api-url",
            github.url,
            "--external-url",
            "https://fasit.example.net",
        )
        try:
            served.until(lambda: github.states() == ["pending", "success"], "both statuses")
        finally:
            served.stop()

    pending, success = github.calls
    assert pending.path == f"/api/v3/repos/nais/fasit-state/statuses/{head}"
    assert pending.body["target_url"] == f"https://fasit.example.net/revisions#revision-{head}"
    assert (success.body["context"], success.body["description"]) == (
        "fasit",
        "deployed: 2 of 2 done",
    )
    assert success.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in served.log.read_text()


def test_a_state_directory_gets_no_statuses_and_the_log_says_so_once(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    token = tmp_path / "github-token"
    token.write_text(TOKEN, encoding="utf-8")
    served = serve(
        tmp_path,
        "--state-dir",
        str(state),
        "--fake-agents",
        "--github-status-token-file",
        str(token),
    )
    served.stop()

    log = served.log.read_text()
    assert (
        log.count("commit statuses are off: the state is not a git repository on github.com") == 1
    )
    assert TOKEN not in log

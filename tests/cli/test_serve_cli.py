"""`fasit serve` refuses what it cannot run with exit 2 and one line saying why."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.helpers import Run, run_cli

pytestmark = pytest.mark.usefixtures("root_logging_restored")


def test_an_http_port_in_use_is_exit_2_naming_the_address(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]

        run = run_cli(
            "serve",
            "--http-addr",
            f"127.0.0.1:{port}",
            "--grpc-addr",
            "127.0.0.1:0",
            "--status-db",
            tmp_path / "status.db",
        )

    assert run.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port} (--http-addr)" in run.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--http-addr", "nowhere"], "--http-addr 'nowhere': expected HOST:PORT"),
        (
            ["--state-dir", ".", "--git", "git://127.0.0.1/x"],
            "serve needs exactly one source",
        ),
        (["--state-dir", "."], "serve needs --agent-tokens (or --fake-agents)"),
        (
            ["--status-db", "mysql://fasit:pw@db/status"],
            "--status-db mysql://fasit:***@db/status: a URL fasit cannot store status in",
        ),
        (
            ["--state-dir", ".", "--fake-agents", "--agent-tokens", "t.yaml"],
            "--fake-agents brings its own tokens",
        ),
    ],
)
def test_a_configuration_that_cannot_run_is_exit_2_saying_why(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    run = run_cli("serve", "--status-db", tmp_path / "status.db", *arguments)

    assert run.exit_code == 2
    assert message in run.stderr


def serve_on_status_store(tmp_path: Path, status_db: Path | str) -> Run:
    """`fasit serve` with fake agents over an empty state, on any free ports."""
    return run_cli(
        "serve",
        "--fake-agents",
        "--state-dir",
        tmp_path,
        "--http-addr",
        "127.0.0.1:0",
        "--grpc-addr",
        "127.0.0.1:0",
        "--status-db",
        status_db,
    )


def test_an_unreachable_postgres_status_store_is_exit_2_with_its_password_masked(
    tmp_path: Path,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as reserved:
        port = reserved.getsockname()[1]
    url = f"postgresql://fasit:s3cret@127.0.0.1:{port}/status"

    run = serve_on_status_store(tmp_path, url)

    assert run.exit_code == 2
    assert f"cannot use the status store postgresql://fasit:***@127.0.0.1:{port}/status" in (
        run.stderr
    )
    assert "s3cret" not in run.stderr + run.stdout


def test_a_status_file_that_is_not_a_database_is_exit_2_naming_it(tmp_path: Path) -> None:
    status = tmp_path / "status.db"
    status.write_text("not a database, but long enough to have a header " * 10)

    run = serve_on_status_store(tmp_path, status)

    assert run.exit_code == 2
    assert f"cannot open the status store {status}" in run.stderr


def test_the_demo_outside_a_checkout_is_exit_2_saying_where_the_state_would_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("fasit.cli._serve_config.DEMO_STATE", tmp_path / "example-state-repo")

    run = run_cli("serve", "--status-db", tmp_path / "status.db")

    assert run.exit_code == 2
    assert "it ships with the source checkout, not with the package" in run.stderr

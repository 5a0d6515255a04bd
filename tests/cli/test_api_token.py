"""`fasit api-token`: what it prints, what it leaves in the API token file, what it refuses."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fasit.web import ApiTokens, Viewer
from tests.helpers import run_cli


async def test_a_new_file_holds_the_hash_and_tenants_of_the_printed_token(tmp_path: Path) -> None:
    tokens = tmp_path / "api-tokens.yaml"

    run = run_cli("api-token", "ci-nav", "--tenants", "nav,acme", "--tokens", tokens)

    assert run.exit_code == 0, run.stderr
    token = run.stdout.strip()
    assert run.stdout == token + "\n"
    assert len(token) >= 43  # token_urlsafe(32): 32 random bytes
    assert await ApiTokens(tokens).viewer(token) == Viewer("ci-nav", frozenset({"nav", "acme"}))
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600


async def test_a_star_makes_a_fleet_admin_token(tmp_path: Path) -> None:
    tokens = tmp_path / "api-tokens.yaml"

    run = run_cli("api-token", "admins", "--tenants", "*", "--tokens", tokens)

    assert await ApiTokens(tokens).viewer(run.stdout) == Viewer("admins", None)


def test_the_file_comes_from_the_serve_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASIT_API_TOKENS", str(tmp_path / "from-env.yaml"))

    run = run_cli("api-token", "ci", "--tenants", "nav")

    assert run.exit_code == 0, run.stderr
    assert (tmp_path / "from-env.yaml").exists()


def test_without_a_file_it_says_how_to_name_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FASIT_API_TOKENS", raising=False)

    run = run_cli("api-token", "ci", "--tenants", "nav")

    assert run.exit_code == 2
    assert "--tokens FILE or set FASIT_API_TOKENS" in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("ci", "--tenants", "Nav"), "--tenants: 'Nav' is not a tenant", id="capitals"),
        pytest.param(("ci", "--tenants", "*,nav"), '"*" (every tenant) stands alone', id="star+"),
        pytest.param(("ci", "--tenants", ","), "--tenants: empty", id="no tenant"),
        pytest.param(("a b", "--tenants", "nav"), "'a b' is not a token name", id="bad name"),
    ],
)
def test_bad_input_is_refused_before_the_file_is_touched(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    tokens = tmp_path / "api-tokens.yaml"

    run = run_cli("api-token", *args, "--tokens", tokens)

    assert run.exit_code == 2
    assert message in run.stderr
    assert run.stdout == ""
    assert not tokens.exists()


def test_a_broken_file_is_refused_as_it_is(tmp_path: Path) -> None:
    tokens = tmp_path / "api-tokens.yaml"
    tokens.write_text("ci: [\n", encoding="utf-8")

    run = run_cli("api-token", "ci", "--tenants", "nav", "--tokens", tokens)

    assert run.exit_code == 2
    assert "not valid YAML" in run.stderr
    assert tokens.read_text(encoding="utf-8") == "ci: [\n"

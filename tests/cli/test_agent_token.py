"""`fasit agent-token`: what it prints, what it leaves in the token file, what it refuses."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fasit.agents import TokenFile, hash_token
from tests.helpers import run_cli

_KEPT = """\
# agents of the nav tenant
nav/dev: "sha256:{dev}"
nav/prod: "sha256:{old}"  # rotated yearly
  # trailing note
""".format(dev="1" * 64, old="2" * 64)


def test_a_new_file_is_created_owner_only_with_the_hash_of_the_printed_token(
    tmp_path: Path,
) -> None:
    tokens = tmp_path / "agent-tokens.yaml"

    run = run_cli("agent-token", "nav/prod", "--tokens", tokens)

    assert run.exit_code == 0, run.stderr
    token = run.stdout.strip()
    assert run.stdout == token + "\n"
    assert len(token) >= 43  # token_urlsafe(32): 32 random bytes
    assert TokenFile(tokens).environment_of(token) == "nav/prod"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600


def test_replacing_a_token_keeps_every_other_line_and_comment(tmp_path: Path) -> None:
    tokens = tmp_path / "agent-tokens.yaml"
    tokens.write_text(_KEPT, encoding="utf-8")

    run = run_cli("agent-token", "nav/prod", "--tokens", tokens)

    assert run.exit_code == 0, run.stderr
    assert tokens.read_text(encoding="utf-8").splitlines() == [
        "# agents of the nav tenant",
        f'nav/dev: "sha256:{"1" * 64}"',
        f'nav/prod: "{hash_token(run.stdout)}"',
        "  # trailing note",
    ]


def test_a_new_environment_is_appended(tmp_path: Path) -> None:
    tokens = tmp_path / "agent-tokens.yaml"
    tokens.write_text(_KEPT, encoding="utf-8")

    run = run_cli("agent-token", "nav/staging", "--tokens", tokens)

    assert (
        tokens.read_text(encoding="utf-8") == _KEPT + f'nav/staging: "{hash_token(run.stdout)}"\n'
    )
    assert TokenFile(tokens).environments == {"nav/dev", "nav/prod", "nav/staging"}


def test_a_bad_environment_is_exit_2_naming_it_and_writes_nothing(tmp_path: Path) -> None:
    tokens = tmp_path / "agent-tokens.yaml"

    run = run_cli("agent-token", "Nav/prod", "--tokens", tokens)

    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr == (
        "fasit: 'Nav/prod' is not an environment: expected TENANT/NAME"
        " (lowercase letters, digits and '-', e.g. nav/prod)\n"
    )
    assert not tokens.exists()


def test_an_invalid_token_file_is_refused_as_it_is(tmp_path: Path) -> None:
    tokens = tmp_path / "agent-tokens.yaml"
    tokens.write_text('nav/prod: "md5:abc"\n', encoding="utf-8")

    run = run_cli("agent-token", "nav/prod", "--tokens", tokens)

    assert run.exit_code == 2
    assert f'{tokens}:1:11: nav/prod: expected "sha256:<64 lowercase hex>"' in run.stderr
    assert tokens.read_text(encoding="utf-8") == 'nav/prod: "md5:abc"\n'


def test_without_a_token_file_it_says_how_to_name_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FASIT_AGENT_TOKENS", raising=False)

    run = run_cli("agent-token", "nav/prod")

    assert run.exit_code == 2
    assert run.stderr == (
        "fasit: agent-token: which token file? Pass --tokens FILE or set FASIT_AGENT_TOKENS\n"
    )


def test_the_token_file_defaults_to_the_one_fasit_serve_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = tmp_path / "agent-tokens.yaml"
    monkeypatch.setenv("FASIT_AGENT_TOKENS", str(tokens))

    run = run_cli("agent-token", "nav/prod")

    assert TokenFile(tokens).environment_of(run.stdout) == "nav/prod"

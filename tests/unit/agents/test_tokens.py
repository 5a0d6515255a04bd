"""The agent token file: its format, its errors (with places), and reloading."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from fasit.agents import TokenFile, hash_token, write_token_file
from fasit.errors import TokenFileInvalid

HASH_A = hash_token("token-a")
HASH_B = hash_token("token-b")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tokens.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_token_hash_is_sha256_of_the_stripped_file_content() -> None:
    expected = "sha256:" + hashlib.sha256(b"s3cret").hexdigest()
    assert hash_token("  s3cret\n") == expected


def test_a_token_opens_only_its_own_environment(tmp_path: Path) -> None:
    tokens = TokenFile(_write(tmp_path, f'nav/prod: "{HASH_A}"\nnav/dev: "{HASH_B}"\n'))

    assert tokens.environment_of("token-a") == "nav/prod"
    assert tokens.environment_of("token-b\n") == "nav/dev"
    assert tokens.environment_of("token-c") is None
    assert tokens.environments == {"nav/prod", "nav/dev"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("- a\n", r"tokens.yaml:1:1: expected a mapping", id="a list"),
        pytest.param(f'prod: "{HASH_A}"\n', r":1:1: key must be an environment", id="bad key"),
        pytest.param('nav/prod: "sha256:abc"\n', r":1:11: nav/prod: expected", id="short hash"),
        pytest.param("nav/prod: [1]\n", r":1:11: nav/prod: expected", id="hash not a string"),
        pytest.param(
            f'nav/prod: "{HASH_A}"\nnav/prod: "{HASH_B}"\n',
            r":2:1: nav/prod is listed twice",
            id="environment twice",
        ),
        pytest.param(
            f'nav/prod: "{HASH_A}"\nnav/dev: "{HASH_A}"\n',
            r":2:10: nav/dev has the same token as nav/prod",
            id="one token for two environments",
        ),
        pytest.param("nav/prod: [\n", r"not valid YAML", id="bad yaml"),
    ],
)
def test_a_bad_token_file_is_refused_naming_the_place(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(TokenFileInvalid, match=message):
        TokenFile(_write(tmp_path, text))


def test_every_bad_entry_is_reported_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, 'a: "x"\nnav/prod: "y"\n')

    with pytest.raises(TokenFileInvalid) as caught:
        TokenFile(path)

    assert [problem.split(": ", 1)[0] for problem in caught.value.problems] == [
        f"{path}:1:1",
        f"{path}:2:11",
    ]


def test_a_missing_token_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TokenFileInvalid, match="cannot read"):
        TokenFile(tmp_path / "absent.yaml")


def test_a_rotated_token_is_picked_up_without_restart(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    write_token_file(path, {"nav/prod": "old"})
    tokens = TokenFile(path)

    write_token_file(path, {"nav/prod": "new"})

    assert tokens.environment_of("new") == "nav/prod"
    assert tokens.environment_of("old") is None


async def test_a_coroutine_looking_up_a_token_sees_a_rotated_token(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    write_token_file(path, {"nav/prod": "old"})
    tokens = TokenFile(path)

    write_token_file(path, {"nav/prod": "new"})

    assert await tokens.lookup("new") == "nav/prod"
    assert await tokens.lookup("old") is None


def test_a_bad_edit_keeps_the_last_good_tokens(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    write_token_file(path, {"nav/prod": "good"})
    tokens = TokenFile(path)

    path.write_text("nav/prod: [\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))

    assert tokens.refresh() is False
    assert tokens.environment_of("good") == "nav/prod"

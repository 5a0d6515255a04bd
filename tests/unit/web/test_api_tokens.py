"""The API token file: names with a hash and the tenants each sees, every bad place named
with file:line:col, reloaded on change with the last good file kept through a bad edit."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from fasit.agents import hash_token
from fasit.errors import TokenFileInvalid
from fasit.web import ApiTokens, Viewer, set_api_token

HASH_A = hash_token("token-a")
HASH_B = hash_token("token-b")


class Clock:
    """Seconds the test moves by hand (the file is looked at once per second at most)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "api-tokens.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_a_token_stands_for_its_name_and_tenants(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'ci-nav: {{hash: "{HASH_A}", tenants: [nav, acme]}}\n'
        f'admins:\n  hash: "{HASH_B}"\n  tenants: ["*"]\n',
    )
    tokens = ApiTokens(path)

    assert await tokens.viewer("token-a") == Viewer("ci-nav", frozenset({"nav", "acme"}))
    assert await tokens.viewer("token-b") == Viewer("admins", None)
    assert await tokens.viewer("ci-nav") is None
    assert await tokens.viewer(HASH_A) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("- a\n", r"api-tokens.yaml:1:1: expected a mapping", id="a list"),
        pytest.param(
            f'"bad name": {{hash: "{HASH_A}", tenants: [nav]}}\n',
            r":1:1: a token's name is letters",
            id="a name with a space",
        ),
        pytest.param(f'ci: "{HASH_A}"\n', r":1:5: ci: expected \{hash", id="a bare hash"),
        pytest.param("ci: {tenants: [nav]}\n", r":1:5: ci: hash is missing", id="no hash"),
        pytest.param(
            f'ci: {{hash: "{HASH_A}", tenants: [nav], role: x}}\n',
            r":1:103: ci: unknown field",
            id="an unknown field",
        ),
        pytest.param(
            'ci: {hash: "sha256:abc", tenants: [nav]}\n',
            r':1:12: ci: expected "sha256:<64 lowercase hex>"',
            id="a short hash",
        ),
        pytest.param(
            f'ci: {{hash: "{HASH_A}", tenants: []}}\n',
            r":1:\d+: ci: tenants: empty",
            id="no tenants",
        ),
        pytest.param(
            f'ci: {{hash: "{HASH_A}", tenants: ["*", nav]}}\n',
            r'ci: tenants: "\*" \(every tenant\) stands alone',
            id="every tenant and one more",
        ),
        pytest.param(
            f'ci: {{hash: "{HASH_A}", tenants: [Nav]}}\n',
            r"ci: tenants: 'Nav' is not a tenant",
            id="a tenant in capitals",
        ),
        pytest.param(
            f'ci: {{hash: "{HASH_A}", tenants: nav}}\n',
            r"ci: tenants: expected a list",
            id="tenants not a list",
        ),
        pytest.param(
            f'a: {{hash: "{HASH_A}", tenants: [nav]}}\nb: {{hash: "{HASH_A}", tenants: [acme]}}\n',
            r":2:4: b has the same token as a",
            id="one token under two names",
        ),
        pytest.param(
            f'a: {{hash: "{HASH_A}", tenants: [nav]}}\na: {{hash: "{HASH_B}", tenants: [nav]}}\n',
            r":2:1: a is listed twice",
            id="a name twice",
        ),
        pytest.param("a: [\n", r"not valid YAML", id="bad yaml"),
    ],
)
def test_a_bad_token_file_is_refused_naming_the_place(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(TokenFileInvalid, match=message) as caught:
        ApiTokens(write(tmp_path, text))

    assert str(caught.value).startswith("API token file ")


def test_the_file_never_holds_a_token(tmp_path: Path) -> None:
    path = tmp_path / "api-tokens.yaml"

    set_api_token(path, "ci-nav", frozenset({"nav"}), "s3cret-token")

    assert "s3cret-token" not in path.read_text(encoding="utf-8")
    assert hash_token("s3cret-token") in path.read_text(encoding="utf-8")


async def test_a_new_token_counts_once_the_file_is_looked_at_again(tmp_path: Path) -> None:
    path = tmp_path / "api-tokens.yaml"
    set_api_token(path, "ci-nav", frozenset({"nav"}), "old")
    clock = Clock()
    tokens = ApiTokens(path, clock)

    set_api_token(path, "ci-nav", frozenset({"nav"}), "new")
    clock.now += 1.0

    assert await tokens.viewer("new") == Viewer("ci-nav", frozenset({"nav"}))
    assert await tokens.viewer("old") is None


async def test_a_bad_edit_keeps_the_last_good_tokens_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "api-tokens.yaml"
    set_api_token(path, "admins", None, "t0k3n-0f-4dm1ns")
    clock = Clock()
    tokens = ApiTokens(path, clock)

    path.write_text("admins: [\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))
    with caplog.at_level(logging.ERROR):
        for _ in range(3):
            clock.now += 1.0
            assert await tokens.viewer("t0k3n-0f-4dm1ns") == Viewer("admins", None)

    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "API token file not reloaded, the last good one stays"
    ]
    assert "t0k3n-0f-4dm1ns" not in caplog.text


def test_replacing_a_token_keeps_every_other_line(tmp_path: Path) -> None:
    path = write(tmp_path, f'# scripts\nci: {{hash: "{HASH_A}", tenants: [nav]}}  # CI\n')

    set_api_token(path, "admins", None, "b")
    set_api_token(path, "ci", frozenset({"acme", "nav"}), "c")

    assert path.read_text(encoding="utf-8").splitlines() == [
        "# scripts",
        f'ci: {{hash: "{hash_token("c")}", tenants: [acme, nav]}}',
        f'admins: {{hash: "{hash_token("b")}", tenants: ["*"]}}',
    ]

"""The access file: groups and emails to tenants, `"*"` for fleet admins, every bad place
named with file:line:col, an edit applied to sessions already open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fasit.errors import TokenFileInvalid
from fasit.web import AccessFile, AccessRules, parse_access_file

RULES = """\
groups:
  nav-developers: [nav]
  oncall: [nav, acme]
  fleet-admins: ["*"]
emails:
  Kari@Acme.example: [acme]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "access.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("email", "groups", "tenants"),
    [
        pytest.param(None, ["nav-developers"], {"nav"}, id="a group gives its tenants"),
        pytest.param(None, ["nav-developers", "oncall"], {"nav", "acme"}, id="groups add up"),
        pytest.param("kari@acme.example", [], {"acme"}, id="an email, whatever its case"),
        pytest.param("kari@acme.example", ["nav-developers"], {"nav", "acme"}, id="both add up"),
        pytest.param(None, ["oncall", "fleet-admins"], None, id="a star group makes an admin"),
        pytest.param("ola@nav.example", ["strangers"], set(), id="no rule: no tenant"),
    ],
)
def test_a_person_sees_the_tenants_of_their_groups_and_email(
    tmp_path: Path, email: str | None, groups: list[str], tenants: set[str] | None
) -> None:
    rules = parse_access_file(write(tmp_path, RULES))

    found = rules.tenants_of(email, groups)

    assert found == (None if tenants is None else frozenset(tenants))


def test_an_empty_file_names_nobody(tmp_path: Path) -> None:
    assert parse_access_file(write(tmp_path, "")) == AccessRules()


def test_every_bad_place_is_named_with_file_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "groups:\n"
        "  devs: []\n"
        "  admins: ['*', nav]\n"
        "  devs: [nav]\n"
        "emails:\n"
        "  not-an-email: [nav]\n"
        "  a@b.example: [Nav]\n"
        "teams: {}\n",
    )

    with pytest.raises(TokenFileInvalid) as raised:
        parse_access_file(path)

    assert raised.value.problems == [
        f'{path}:2:9: groups: devs: empty: name at least one tenant, or "*" for every tenant',
        f'{path}:3:11: groups: admins: "*" (every tenant) stands alone',
        f"{path}:4:3: groups: devs is listed twice",
        f"{path}:6:3: 'not-an-email' is not an email address",
        f"{path}:7:16: emails: a@b.example: 'Nav' is not a tenant (lowercase letters, digits"
        " and '-'), nor \"*\"",
        f"{path}:8:1: unknown section (expected groups, emails)",
    ]


async def test_an_edit_applies_to_the_next_request(tmp_path: Path) -> None:
    now = [0.0]
    path = write(tmp_path, RULES)
    access = AccessFile(path, clock=lambda: now[0])
    assert await access.tenants_of(None, ["nav-developers"]) == frozenset({"nav"})

    path.write_text(RULES.replace("nav-developers: [nav]", "nav-developers: [acme]"))
    os.utime(path, (1, 1))  # a changed stat, whatever the file system's time resolution
    now[0] = 1.0

    assert await access.tenants_of(None, ["nav-developers"]) == frozenset({"acme"})

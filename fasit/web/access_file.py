"""The access file: which people (by OpenID Connect group or email) see which tenants.

`fasit serve --access FILE` reads it at start (a bad file stops it, naming every bad place
with file:line:col) and again when it changes, like the API token file (a bad edit is logged
once and the last good rules stay). A signed-in person sees the union of the tenants of every
group they are in and of their (verified) email; `"*"` anywhere makes a fleet admin:

    groups:
      nav-developers: [nav]
      fleet-admins: ["*"]
    emails:
      alice@example.com: [nav, acme]
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from fasit.agents import read_mapping, where
from fasit.errors import TokenFileInvalid
from fasit.web.api_tokens import RecheckedFile, read_tenants

__all__ = ["AccessFile", "AccessRules", "parse_access_file"]

_WHAT = "access file"
_SECTIONS = ("groups", "emails")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True, slots=True)
class AccessRules:
    """Group → tenants and email → tenants (None: every tenant); emails in lowercase.

    >>> rules = AccessRules({"devs": frozenset({"nav"})}, {"a@x.no": frozenset({"acme"})})
    >>> sorted(rules.tenants_of("A@x.no", ["devs"]))
    ['acme', 'nav']
    """

    groups: dict[str, frozenset[str] | None] = field(default_factory=dict)
    emails: dict[str, frozenset[str] | None] = field(default_factory=dict)

    def tenants_of(self, email: str | None, groups: Iterable[str]) -> frozenset[str] | None:
        """The tenants a person sees: None for a fleet admin, empty when no rule names them."""
        found: set[str] = set()
        granted = [self.groups.get(group, frozenset()) for group in groups]
        if email is not None:
            granted.append(self.emails.get(email.lower(), frozenset()))
        for tenants in granted:
            if tenants is None:
                return None
            found |= tenants
        return frozenset(found)


def parse_access_file(path: Path) -> AccessRules:
    """The rules of the file at `path`, or TokenFileInvalid listing every bad place."""
    root = read_mapping(path, _WHAT, "a mapping with groups: and emails:")
    rules = AccessRules()
    if root is None:
        return rules
    problems: list[str] = []
    seen: set[str] = set()
    for key, value in root.value:
        section = key.value if isinstance(key, yaml.ScalarNode) else None
        if section not in _SECTIONS:
            problems.append(f"{where(path, key)}: unknown section (expected groups, emails)")
        elif section in seen:
            problems.append(f"{where(path, key)}: {section} is given twice")
        elif not isinstance(value, yaml.MappingNode):
            problems.append(f"{where(path, value)}: {section}: expected a mapping of NAME: [...]")
        else:
            seen.add(section)
            target = rules.groups if section == "groups" else rules.emails
            _read_section(path, section, value, target, problems)
    if problems:
        raise TokenFileInvalid(str(path), problems, _WHAT)
    return rules


def _read_section(
    path: Path,
    section: str,
    node: yaml.MappingNode,
    target: dict[str, frozenset[str] | None],
    problems: list[str],
) -> None:
    named: set[str] = set()
    for key, value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where(path, key)}: {section}: expected a name")
            continue
        if section == "emails":
            if not _EMAIL.match(name):
                problems.append(f"{where(path, key)}: {name!r} is not an email address")
                continue
            name = name.lower()
        if name in named:
            problems.append(f"{where(path, key)}: {section}: {name} is listed twice")
            continue
        named.add(name)
        try:
            target[name] = read_tenants(value)
        except ValueError as exc:
            problems.append(f"{where(path, value)}: {section}: {name}: {exc}")


class AccessFile:
    """The rules of `path`, reloaded when the file changes (as the API token file is)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._file = RecheckedFile(path, parse_access_file, _WHAT, clock)

    async def tenants_of(self, email: str | None, groups: Iterable[str]) -> frozenset[str] | None:
        """See `AccessRules.tenants_of`, under the rules in force."""
        return (await self._file.current()).tenants_of(email, groups)

    async def named(self, groups: Iterable[str]) -> list[str]:
        """Those of `groups` the rules in force name."""
        rules = await self._file.current()
        return [group for group in groups if group in rules.groups]

"""Secrets: `{secretRef: NAME}` resolved at render time, never stored in the state repo.

A `SecretProvider` turns a name into the secret's text. `SecretsDirectory` reads the file
NAME in a directory (what `--secrets-dir` gives). `Placeholders` stands in where no secrets
are at hand (validate, plan, explain in CI): each reference renders as an opaque placeholder
and nothing fails for lack of it. `Probe` gives a sentinel per name, to find the computed
values that depend on a secret (taint).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fasit.errors import InvalidInput
from fasit.model import SECRET_REF, is_secret_ref

__all__ = [
    "MASK",
    "Placeholders",
    "Probe",
    "Resolved",
    "SecretMissing",
    "SecretProvider",
    "SecretsDirectory",
    "resolve_refs",
]

MASK = "***"
"""What people see instead of a secret or a value computed from one."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}\Z")


class SecretMissing(InvalidInput):
    """A secret that cannot be had; the message says which and why (never its value)."""


class SecretProvider(Protocol):
    """Resolves secret names to their text."""

    def resolve(self, name: str) -> str:
        """The secret `name` (raises `SecretMissing`)."""
        ...

    def version(self) -> str:
        """Changes whenever any secret may have changed, so plans know to render again."""
        ...


class SecretsDirectory:
    """Secrets as files: the secret NAME is the content of the file NAME in `root`.

    One trailing newline is dropped (files written by `echo` end with one); anything else is
    the secret. Names are plain file names: no directories, no leading dot.
    """

    def __init__(self, root: Path, max_bytes: int = 65_536) -> None:
        self.root = root
        self._max_bytes = max_bytes

    def resolve(self, name: str) -> str:
        if not _NAME.match(name):
            raise SecretMissing(f"secret name {name!r} is not a plain file name")
        path = self.root / name
        try:
            with path.open("rb") as file:
                content = file.read(self._max_bytes + 1)
        except FileNotFoundError:
            raise SecretMissing(f"secret {name!r} is not in {self.root}") from None
        except OSError as exc:
            raise SecretMissing(f"secret {name!r} cannot be read: {exc.strerror}") from None
        if len(content) > self._max_bytes:
            raise SecretMissing(f"secret {name!r} is larger than {self._max_bytes} bytes")
        try:
            text = content.decode()
        except UnicodeDecodeError:
            raise SecretMissing(f"secret {name!r} is not UTF-8 text") from None
        return text.removesuffix("\n").removesuffix("\r")

    def version(self) -> str:
        listing = hashlib.sha256()
        try:
            entries = sorted(os.scandir(self.root), key=lambda entry: entry.name)
        except OSError:
            return "unreadable"
        for entry in entries:
            stat = entry.stat()
            listing.update(f"{entry.name}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
        return listing.hexdigest()


class Placeholders:
    """No secrets at hand: `<secret:NAME>` for each reference; nothing fails."""

    def resolve(self, name: str) -> str:
        return f"<secret:{name}>"

    def version(self) -> str:
        return "placeholders"


class Probe:
    """A sentinel per name that no real value or placeholder equals."""

    def resolve(self, name: str) -> str:
        return f"__FASIT_PROBE_{name}_a9f4e1c8d7b2__"

    def version(self) -> str:
        return "probe"


@dataclass(slots=True)
class Resolved:
    """What resolving the references in some values found."""

    names: set[str] = field(default_factory=set)
    """Every secret name referenced."""
    texts: set[str] = field(default_factory=set)
    """The texts they resolved to (to scrub from messages)."""
    missing: dict[str, str] = field(default_factory=dict)
    """Name → why it could not be resolved."""


def resolve_refs(value: object, provider: SecretProvider, resolved: Resolved) -> object:
    """`value` with every `{secretRef: NAME}` inside replaced by the secret's text.

    Values without references are returned as they are (not copied); a missing secret is
    recorded in `resolved.missing` and left as the reference.
    """
    if is_secret_ref(value):
        assert isinstance(value, dict)
        name = value[SECRET_REF]
        resolved.names.add(name)
        try:
            text = provider.resolve(name)
        except SecretMissing as exc:
            resolved.missing[name] = str(exc)
            return value
        if text:
            resolved.texts.add(text)
        return text
    if isinstance(value, dict):
        items = {key: resolve_refs(item, provider, resolved) for key, item in value.items()}
        return value if all(items[key] is value[key] for key in value) else items
    if isinstance(value, list):
        elements = [resolve_refs(item, provider, resolved) for item in value]
        return value if all(a is b for a, b in zip(elements, value, strict=True)) else elements
    return value

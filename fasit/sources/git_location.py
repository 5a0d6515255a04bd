"""Which repository, which revision, and the credentials and trust to read it with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fasit.sources.redact import redact_url

__all__ = ["GitAuth", "GitLocation"]

_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True, slots=True)
class GitLocation:
    """Which revision of which repository: a URL, a ref and a directory inside it."""

    url: str
    ref: str = "HEAD"
    """A branch, a tag, a full ref name (refs/…), HEAD, or a pinned 40-hex commit SHA."""
    directory: str = ""
    """The state root inside the repository ("" for its root)."""

    @property
    def shown_url(self) -> str:
        """The URL as a person may see it: any password or token in it masked."""
        return redact_url(self.url)

    @property
    def description(self) -> str:
        where = f"{self.shown_url}@{self.ref}"
        return f"{where}:{self.directory}" if self.directory else where

    @property
    def pinned(self) -> bool:
        return _SHA.fullmatch(self.ref) is not None


@dataclass(frozen=True, slots=True)
class GitAuth:
    """Credentials and trust for a remote. Secrets never appear in repr or messages."""

    username: str = ""
    password: str = field(default="", repr=False)
    """HTTP basic password, or a token that the host takes as a password (GitHub)."""
    bearer_token: str = field(default="", repr=False)
    """Sent as `Authorization: Bearer …` over HTTP(S)."""
    ssh_key_file: Path | None = None
    known_hosts_file: Path | None = None
    """SSH host keys to trust; without it the system's known_hosts applies."""
    ca_bundle: Path | None = None
    """PEM file of CAs to trust for HTTPS, instead of the system's."""
    insecure_skip_tls_verify: bool = False
    """Accept any HTTPS certificate. Only ever an explicit opt-in."""

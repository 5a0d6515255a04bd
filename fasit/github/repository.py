"""Which GitHub repository a git remote URL names, if any: `owner/name` and its host.

Pure. Reads https, ssh and scp-like remotes (`https://github.com/o/r.git`,
`ssh://git@github.com/o/r`, `git@github.com:o/r.git`); any credentials in the URL are never
kept. A remote on another host is no GitHub repository (the serve wiring says so once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from fasit.options import DEFAULT_API_URL

__all__ = ["DEFAULT_API_URL", "GitHubRepository", "api_host", "github_repository"]

_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True, slots=True)
class GitHubRepository:
    """`owner/name` on `host` (github.com, or a GitHub Enterprise host)."""

    host: str
    owner: str
    name: str

    def __str__(self) -> str:
        return f"{self.owner}/{self.name}"


def api_host(api_url: str) -> str:
    """The host whose repositories `api_url` serves: github.com for api.github.com, else the
    API's own host (GitHub Enterprise serves `https://HOST/api/v3`)."""
    host = (urlsplit(api_url).hostname or "").lower()
    return "github.com" if host == "api.github.com" else host


def github_repository(url: str, host: str = "github.com") -> GitHubRepository | None:
    """The repository `url` names on `host`; None for a remote elsewhere or a local path.

    >>> github_repository("git@github.com:nais/fasit-state.git")
    GitHubRepository(host='github.com', owner='nais', name='fasit-state')
    """
    if "://" in url:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh", "git"):
            return None
        found_host, path = parts.hostname or "", parts.path
    else:
        match = _SCP_LIKE.match(url)
        if match is None:
            return None
        found_host, path = match["host"], match["path"]
    if found_host.lower() != host.lower():
        return None
    segments = [segment for segment in path.strip("/").split("/") if segment]
    if len(segments) != 2:
        return None
    owner, name = segments[0], segments[1].removesuffix(".git")
    if not (_NAME.match(owner) and _NAME.match(name)):
        return None
    return GitHubRepository(host.lower(), owner, name)

"""A git remote mirrored into a bare cache repository, with dulwich and without a work tree.

`GitRemote` asks the remote for one ref's SHA (ls-remote: only the ref advertisement is
transferred), fetches that SHA into the cache only when it is not there yet (incremental: haves
are negotiated from the cache's refs), and reads commits and trees from the cache.

dulwich is synchronous and its repositories are not thread-safe: every method here blocks,
so callers run them off the event loop, and one lock serialises all use of the cache.
Failures are `SourceUnavailable` with a cause a person can act on (dns, refused, timeout,
auth, tls, host-key, not-found, ref-missing, protocol).
"""

from __future__ import annotations

import gc
import logging
import re
import shlex
import socket
import ssl
import threading
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import urllib3
import urllib3.exceptions
from dulwich.client import (
    GitClient,
    HTTPUnauthorized,
    default_urllib3_manager,
    get_transport_and_path,
)
from dulwich.config import ConfigDict
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
from dulwich.objects import Commit, ObjectID, Tag
from dulwich.refs import Ref
from dulwich.repo import Repo

from fasit.errors import SourceUnavailable
from fasit.sources.redact import redact_url
from fasit.state import Revision, some

__all__ = ["GitAuth", "GitLocation", "GitRemote", "RemoteCause", "commit_revision"]

_log = logging.getLogger("fasit.sources.git")
T = TypeVar("T")
_SHA = re.compile(r"[0-9a-f]{40}")
_PACKS_BEFORE_REPACK = 50
# Seconds before a silent HTTP or SSH peer counts as down (git:// has no timeout in dulwich).
_NETWORK_TIMEOUT = 30


class RemoteCause(StrEnum):
    """Why a remote could not be read: stable words for logs, metrics and the UI."""

    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    AUTH = "auth"
    TLS = "tls"
    HOST_KEY = "host-key"
    NOT_FOUND = "not-found"
    REF_MISSING = "ref-missing"
    PROTOCOL = "protocol"


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


class GitRemote:
    """One remote ref, mirrored into a bare cache repository at `cache_dir`."""

    def __init__(self, location: GitLocation, cache_dir: Path, auth: GitAuth | None = None) -> None:
        self.location = location
        self._auth = auth or GitAuth()
        self._lock = threading.RLock()
        self._repo = _open_cache(cache_dir)
        # Under refs/heads/: dulwich offers only those as haves, so a fetch sends what is new.
        self._cache_ref = Ref(b"refs/heads/fasit/" + _ref_key(location.ref).encode())
        self._client: GitClient | None = None
        self._path = ""
        self._config = _http_config(self._auth)
        pool = default_urllib3_manager(self._config, base_url=location.url)
        assert isinstance(pool, urllib3.PoolManager)  # no auth callbacks: never the wrapper
        self._pool = pool

    @property
    def lock(self) -> threading.RLock:
        """Held while the cache repository is used; trees read under it too."""
        return self._lock

    @property
    def repo(self) -> Repo:
        return self._repo

    def close(self) -> None:
        with self._lock:
            self._pool.clear()
            self._repo.close()

    def resolve(self) -> str:
        """The SHA the remote's ref points at now (a commit, or an annotated tag object)."""
        if self.location.pinned:
            return self.location.ref
        refs = self._call(lambda client, path: client.get_refs(path.encode()).refs)
        return _pick_ref(self.location, refs)

    def fetch(self, sha: str) -> str:
        """Make `sha` present in the cache (fetching only if it is not) and return its commit."""
        with self._lock:
            if _oid(sha) not in self._repo.object_store:
                self._fetch_missing(sha)
            commit = self._commit_of(sha)
            self._repo.refs[self._cache_ref] = _oid(sha)
            return commit

    def maintain(self) -> bool:
        """Repack the cache once fetches have left many packs; whether it did.

        Each fetch adds a pack and every object lookup searches them all, so they are merged
        now and then. Call it when nothing waits on the source (after a snapshot is offered).
        """
        with self._lock:
            if len(self._repo.object_store.packs) < _PACKS_BEFORE_REPACK:
                return False
            self._repo.object_store.repack()
            return True

    def cached(self) -> str | None:
        """The commit last fetched for this ref, if the cache holds one (lenient starts)."""
        with self._lock:
            sha = self._repo.refs.as_dict().get(self._cache_ref)
            return self._commit_of(sha.decode()) if sha else None

    def revision(self, commit_sha: str) -> Revision:
        """Who made the commit, when, and why."""
        with self._lock:
            commit = self._repo.object_store[_oid(commit_sha)]
        assert isinstance(commit, Commit)
        return commit_revision(commit, self.location.description)

    def _fetch_missing(self, sha: str) -> None:
        wanted = _oid(sha)

        def wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
            if self.location.pinned:  # an unadvertised SHA: take every branch and tag
                return sorted(set(_tips(refs).values()))
            return [wanted]

        self._call(lambda client, path: client.fetch(path, self._repo, determine_wants=wants))
        if wanted not in self._repo.object_store:
            raise SourceUnavailable(
                RemoteCause.REF_MISSING,
                f"{self.location.shown_url}: commit {sha} "
                "is not on any branch or tag of the remote",
            )

    def _commit_of(self, sha: str) -> str:
        value = self._repo.object_store[_oid(sha)]
        while isinstance(value, Tag):
            value = self._repo.object_store[value.object[1]]
        if not isinstance(value, Commit):
            raise SourceUnavailable(
                RemoteCause.REF_MISSING,
                f"{self.location.description}: {sha} is a {value.type_name.decode()}, not a commit",
            )
        return value.id.decode()

    def _call(self, operation: Callable[[GitClient, str], T]) -> T:
        """Run one network operation with this remote's client, errors made readable."""
        try:
            client, path = self._connect()
            return operation(client, path)
        except SourceUnavailable:
            raise
        except Exception as exc:
            if _log.isEnabledFor(logging.DEBUG):  # the traceback's messages may hold the URL
                trace = "".join(traceback.format_exception(exc))
                _log.debug(
                    "%s: remote call failed\n%s",
                    self.location.shown_url,
                    _hide(trace, self.location),
                )
            error = _explain(self.location, exc)
            _release(exc)
            raise error from None

    def _connect(self) -> tuple[GitClient, str]:
        if self._client is None:
            self._client, self._path = get_transport_and_path(
                self.location.url,
                config=self._config,
                pool_manager=self._pool,
                username=self._auth.username or None,
                password=self._auth.password or None,
                ssh_command=_ssh_command(self._auth),
            )
        return self._client, self._path


def _oid(sha: str) -> ObjectID:
    return ObjectID(sha.encode())


def _release(exc: BaseException) -> None:
    """Free what a failed dulwich call left open, now rather than at some later collection.

    On errors dulwich leaves its protocol objects (ssh pipes, sockets) to their finalisers;
    they are reachable only from the exception's frames, so clearing those frames closes them.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        for error in _chain(exc):
            traceback.clear_frames(error.__traceback__)
        gc.collect()


def _open_cache(cache_dir: Path) -> Repo:
    if (cache_dir / "objects").is_dir():
        return Repo(str(cache_dir))
    return Repo.init_bare(str(cache_dir), mkdir=not cache_dir.exists())


def _ref_key(ref: str) -> str:
    return re.sub(r"[^A-Za-z0-9._/-]", "_", ref).strip("/") or "HEAD"


def _pick_ref(location: GitLocation, refs: Mapping[Ref, ObjectID | None]) -> str:
    """The advertised SHA of the location's ref, by git's own lookup rules, never a guess."""
    ref = location.ref
    if ref == "HEAD" or ref.startswith("refs/"):
        candidates = [ref]
    else:
        candidates = [f"refs/heads/{ref}", f"refs/tags/{ref}"]
    found = [name for name in candidates if refs.get(Ref(name.encode()))]
    if len(found) > 1:
        raise SourceUnavailable(
            RemoteCause.REF_MISSING,
            f"{location.shown_url}: '{ref}' is both a branch and a tag; "
            f"write refs/heads/{ref} or refs/tags/{ref}",
        )
    if not found:
        raise SourceUnavailable(
            RemoteCause.REF_MISSING,
            f"{location.shown_url}: no branch or tag named '{ref}' "
            f"(the remote has {_some_refs(refs)})",
        )
    sha = refs[Ref(found[0].encode())]
    assert sha is not None
    return sha.decode()


def _some_refs(refs: Mapping[Ref, ObjectID | None]) -> str:
    names = sorted(
        name.decode().removeprefix("refs/heads/").removeprefix("refs/tags/") for name in _tips(refs)
    )
    return some(names, shown=8) if names else "no branches or tags"


def _tips(refs: Mapping[Ref, ObjectID] | Mapping[Ref, ObjectID | None]) -> dict[Ref, ObjectID]:
    """The advertised branches and tags; peeled `^{}` entries are not refs one can want."""
    return {
        name: sha
        for name, sha in refs.items()
        if sha and name.startswith((b"refs/heads/", b"refs/tags/")) and not name.endswith(b"^{}")
    }


def _http_config(auth: GitAuth) -> ConfigDict:
    config = ConfigDict()
    config.set((b"http",), b"timeout", str(_NETWORK_TIMEOUT).encode())
    if auth.bearer_token:
        header = f"Authorization: Bearer {auth.bearer_token}"
        config.set((b"http",), b"extraHeader", header.encode())
    if auth.ca_bundle is not None:
        config.set((b"http",), b"sslCAInfo", str(auth.ca_bundle).encode())
    if auth.insecure_skip_tls_verify:
        config.set((b"http",), b"sslVerify", False)
    return config


def _ssh_command(auth: GitAuth) -> str:
    """The system ssh, told never to prompt and to trust only the host keys given."""
    args = [
        "ssh",
        "-o",
        "BatchMode=yes",
        "-o",
        f"ConnectTimeout={_NETWORK_TIMEOUT}",
        "-o",
        "ServerAliveInterval=15",
        "-o",
        "StrictHostKeyChecking=yes",
    ]
    if auth.ssh_key_file is not None:
        args += ["-i", str(auth.ssh_key_file), "-o", "IdentitiesOnly=yes"]
    if auth.known_hosts_file is not None:
        args += ["-o", f"UserKnownHostsFile={auth.known_hosts_file}"]
    return shlex.join(args)


# What ssh prints, mapped to the cause; first match wins.
_SSH_CAUSES: Sequence[tuple[str, RemoteCause, str]] = (
    ("host key verification failed", RemoteCause.HOST_KEY, "the server's host key is unknown"),
    ("remote host identification has changed", RemoteCause.HOST_KEY, "the host key changed"),
    ("permission denied", RemoteCause.AUTH, "the server refused the key"),
    ("could not resolve hostname", RemoteCause.DNS, "cannot resolve the host name"),
    ("connection refused", RemoteCause.REFUSED, "connection refused"),
    ("timed out", RemoteCause.TIMEOUT, "connection timed out"),
    ("does not appear to be a git repository", RemoteCause.NOT_FOUND, "no repository there"),
    ("not a git repository", RemoteCause.NOT_FOUND, "no repository there"),
    ("no such file or directory", RemoteCause.NOT_FOUND, "no repository there"),
    ("access denied", RemoteCause.NOT_FOUND, "no repository there, or not exported"),
    ("not found", RemoteCause.NOT_FOUND, "no repository there"),
)


def _explain(location: GitLocation, exc: BaseException) -> SourceUnavailable:
    cause, what = _classify(exc)
    return SourceUnavailable(cause, f"{location.shown_url}: {_hide(what, location)}")


def _hide(text: str, location: GitLocation) -> str:
    """`text` (a library's message, which may quote the URL) with the URL shown redacted."""
    return text.replace(location.url, location.shown_url)


def _classify(exc: BaseException) -> tuple[RemoteCause, str]:
    """The cause of a failed remote call, from the exception and whatever it wraps.

    Rules go from the most specific: urllib3's connection errors subclass its timeout error,
    so a refused connection must be recognised before a timeout is assumed.
    """
    chain = _chain(exc)

    def find(*kinds: type[BaseException]) -> BaseException | None:
        return next((error for error in chain if isinstance(error, kinds)), None)

    if find(HTTPUnauthorized):
        return RemoteCause.AUTH, "authentication failed (HTTP 401): check the credentials"
    if error := find(socket.gaierror, urllib3.exceptions.NameResolutionError):
        return RemoteCause.DNS, f"cannot resolve the host name ({_reason(error)})"
    if find(ConnectionRefusedError):
        return RemoteCause.REFUSED, "connection refused"
    if error := find(ssl.SSLError, urllib3.exceptions.SSLError):
        return RemoteCause.TLS, f"TLS handshake failed ({_reason(error)})"
    if error := find(NotGitRepository):
        return RemoteCause.NOT_FOUND, f"no repository there ({_reason(error)})"
    if error := find(HangupException, GitProtocolError):
        text = _reason(error)
        for needle, cause, what in _SSH_CAUSES:
            if needle in text.lower():
                return cause, f"{what} ({text})"
        return RemoteCause.PROTOCOL, text
    if find(TimeoutError, urllib3.exceptions.TimeoutError):
        return RemoteCause.TIMEOUT, "connection timed out"
    if error := find(OSError):
        return RemoteCause.UNREACHABLE, f"cannot connect ({_reason(error)})"
    return RemoteCause.PROTOCOL, _reason(exc)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and those it wraps (urllib3 keeps the real one in `reason`)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        reason = getattr(current, "reason", None)
        current = (
            reason
            if isinstance(reason, BaseException)
            else current.__cause__ or current.__context__
        )
    return seen


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def commit_revision(commit: Commit, source: str) -> Revision:
    """The revision a commit is: its id, time, author and message."""
    zone = timezone(timedelta(seconds=commit.commit_timezone))
    return Revision(
        id=commit.id.decode("ascii"),
        source=source,
        time=datetime.fromtimestamp(commit.commit_time, zone),
        author=commit.author.decode("utf-8", "replace"),
        message=commit.message.decode("utf-8", "replace").strip(),
    )

"""A git remote mirrored into a bare cache repository, with dulwich and without a work tree.

`GitRemote` asks the remote for one ref's SHA (ls-remote: only the ref advertisement is
transferred), fetches that SHA into the cache only when it is not there yet (incremental: haves
are negotiated from the cache's refs), and reads commits and trees from the cache.

dulwich is synchronous and its repositories are not thread-safe: every method here blocks,
so callers run them off the event loop, and one lock serialises all use of the cache.
Each network operation has one overall deadline (`timeout`, 30 s by default): past it the
caller gets a `timeout` failure at once and the operation is abandoned (see `deadline`).
Failures are `SourceUnavailable` with a cause a person can act on (dns, refused, timeout,
auth, tls, host-key, not-found, ref-missing, protocol).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from dulwich.client import (
    GitClient,
)
from dulwich.objects import Commit, ObjectID, Tag
from dulwich.protocol import Protocol
from dulwich.refs import Ref
from dulwich.repo import Repo
from urllib3 import BaseHTTPResponse

from fasit.errors import SourceUnavailable
from fasit.options import DEFAULT_GIT_TIMEOUT
from fasit.sources.deadline import DeadlinePassed, Deadlines
from fasit.sources.git_causes import RemoteCause, classify, exception_chain
from fasit.sources.git_location import GitAuth, GitLocation
from fasit.sources.git_transport import Transport
from fasit.state import Revision, some

__all__ = [
    "DEFAULT_GIT_TIMEOUT",
    "GitAuth",
    "GitLocation",
    "GitRemote",
    "RemoteCause",
    "commit_revision",
]

_log = logging.getLogger("fasit.sources.git")
T = TypeVar("T")
_PACKS_BEFORE_REPACK = 50
# How long `close` waits for abandoned operations to end, then for the cache's lock: stopping
# `fasit serve` must not wait on a remote.
_CLOSE_WAIT = 4.0
_CLOSE_LOCK_WAIT = 1.0


class GitRemote:
    """One remote ref, mirrored into a bare cache repository at `cache_dir`."""

    def __init__(
        self,
        location: GitLocation,
        cache_dir: Path,
        auth: GitAuth | None = None,
        timeout: float = DEFAULT_GIT_TIMEOUT,
    ) -> None:
        self.location = location
        self._auth = auth or GitAuth()
        self._deadlines = Deadlines(timeout, f"git {location.shown_url}")
        self._lock = threading.RLock()
        self._repo = _open_cache(cache_dir)
        # Under refs/heads/: dulwich offers only those as haves, so a fetch sends what is new.
        self._cache_ref = Ref(b"refs/heads/fasit/" + _ref_key(location.ref).encode())
        self._transport = Transport(location.url, self._auth, timeout)

    @property
    def lock(self) -> threading.RLock:
        """Held while the cache repository is used; trees read under it too."""
        return self._lock

    @property
    def repo(self) -> Repo:
        return self._repo

    def close(self) -> None:
        """Abandon operations under way, then close the cache if they let go of it in time.

        An abandoned fetch may still hold the cache a while; then it is left open (the
        process is stopping, or the remote is closed for good, and nothing needs it).
        """
        self._deadlines.close(_CLOSE_WAIT)
        if not self._lock.acquire(timeout=_CLOSE_LOCK_WAIT):
            _log.warning("%s: an abandoned fetch still holds the cache", self.location.shown_url)
            return
        try:
            self._transport.close()
            self._repo.close()
        finally:
            self._lock.release()

    def resolve(self) -> str:
        """The SHA the remote's ref points at now (a commit, or an annotated tag object)."""
        if self.location.pinned:
            return self.location.ref
        refs = self._call(lambda client, path: client.get_refs(path.encode()).refs)
        return _pick_ref(self.location, refs)

    def fetch(self, sha: str) -> str:
        """Make `sha` present in the cache (fetching only if it is not) and return its commit."""
        with self._lock:
            present = _oid(sha) in self._repo.object_store
        if not present:  # not under the lock: the fetch takes it on its own thread
            self._fetch_missing(sha)
        with self._lock:
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

        def fetch(client: GitClient, path: str) -> None:
            with self._lock:
                client.fetch(path, self._repo, determine_wants=wants)

        self._call(fetch)
        with self._lock:
            fetched = wanted in self._repo.object_store
        if not fetched:
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
        """Run one network operation with this remote's client, within the deadline."""
        try:
            return self._deadlines.run(lambda: self._readable(operation))
        except DeadlinePassed as exc:
            where = self.location.shown_url
            raise SourceUnavailable(RemoteCause.TIMEOUT, f"{where}: {exc}") from None

    def _readable(self, operation: Callable[[GitClient, str], T]) -> T:
        """The operation's result; its failure made readable and its leftovers freed.

        Runs on the operation's own thread, so an abandoned operation cleans up after itself.
        """
        try:
            return operation(*self._transport.client())
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


def _oid(sha: str) -> ObjectID:
    return ObjectID(sha.encode())


def _release(exc: BaseException) -> None:
    """Close what a failed dulwich call left open, now rather than at some later collection.

    On errors dulwich leaves its protocol objects (ssh pipes, sockets) and HTTP responses
    (whose files keep their sockets) to their finalisers; they are reachable only from the
    exception's frames. Each one found there is closed, then the frames are cleared. No
    collection: in a server it walks the whole heap (most of a second at 100,000 releases).
    """
    for error in exception_chain(exc):
        for resource in _left_open(error.__traceback__):
            with contextlib.suppress(Exception):  # closing is best effort: the call failed
                resource.close()
        traceback.clear_frames(error.__traceback__)


def _left_open(trace: TracebackType | None) -> Iterator[Protocol | BaseHTTPResponse]:
    """The dulwich protocols and HTTP responses held by the locals of a traceback's frames."""
    while trace is not None:
        for value in trace.tb_frame.f_locals.values():
            if isinstance(value, Protocol | BaseHTTPResponse):
                yield value
        trace = trace.tb_next


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


def _explain(location: GitLocation, exc: BaseException) -> SourceUnavailable:
    cause, what = classify(exc)
    return SourceUnavailable(cause, f"{location.shown_url}: {_hide(what, location)}")


def _hide(text: str, location: GitLocation) -> str:
    """`text` (a library's message, which may quote the URL) with the URL shown redacted."""
    return text.replace(location.url, location.shown_url)


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

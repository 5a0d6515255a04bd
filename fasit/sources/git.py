"""The git source: follows one ref of a remote repository and publishes each new revision.

Every poll asks the remote for the ref's SHA (ls-remote, a few milliseconds) and fetches only
when it changed; `refresh()` makes it poll now (a webhook calls it; calls coalesce), and the
poll interval stays the safety net. A remote that cannot be reached is retried with
exponential backoff and jitter: before the first good revision the store is simply not ready
(or, with the lenient fetch policy, serves what the cache holds); after it, the store keeps
serving and says it is stale, and why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from fasit.backoff import Backoff
from fasit.errors import SourceUnavailable
from fasit.sources.git_remote import DEFAULT_GIT_TIMEOUT, GitAuth, GitLocation, GitRemote
from fasit.sources.git_tree import GitTree, ListingCache
from fasit.sources.publish import publish
from fasit.state import Revision, Snapshot, SnapshotBuilder, SnapshotStore

__all__ = ["FetchPolicy", "GitSource", "GitSourceConfig", "read_commit"]

_log = logging.getLogger("fasit.sources.git")


class FetchPolicy(StrEnum):
    """What to do when the remote is down at start."""

    STRICT = "strict"
    """Serve nothing until the remote answers."""
    LENIENT = "lenient"
    """Serve the revision the cache repository last fetched, marked stale."""


@dataclass(frozen=True, slots=True)
class GitSourceConfig:
    location: GitLocation
    cache_dir: Path
    """The bare cache repository; kept across restarts, so fetches stay incremental."""
    auth: GitAuth = field(default_factory=GitAuth)
    poll_interval: float = 5.0
    fetch_policy: FetchPolicy = FetchPolicy.STRICT
    backoff: Backoff = field(default_factory=Backoff)
    timeout: float = DEFAULT_GIT_TIMEOUT
    """Seconds one network operation (a ref lookup, a fetch) may take in all."""


def read_commit(
    remote: GitRemote, commit_sha: str, listings: ListingCache | None = None
) -> tuple[GitTree, Revision]:
    """The tree below the location's directory at a fetched commit, and who made it."""
    tree = GitTree(
        remote.repo.object_store,
        commit_sha,
        remote.location.directory,
        f"{remote.location.description} ({commit_sha[:12]})",
        remote.lock,
        listings,
    )
    return tree, remote.revision(commit_sha)


class GitSource:
    """Polls one ref and offers each new revision's snapshot to the store."""

    def __init__(
        self, config: GitSourceConfig, builder: SnapshotBuilder, store: SnapshotStore
    ) -> None:
        self.config = config
        self._builder = builder
        self._store = store
        self._remote = GitRemote(config.location, config.cache_dir, config.auth, config.timeout)
        self._listings: ListingCache = {}
        self._wake = asyncio.Event()
        self._published: str | None = None
        self._failures = 0
        self.polls = 0

    def close(self) -> None:
        """Close the cache repository (waits for a build or fetch under way)."""
        self._remote.close()

    def refresh(self) -> None:
        """Poll now rather than at the next interval. Calls made meanwhile coalesce into one."""
        self._wake.set()

    async def run(self) -> None:
        """Poll until cancelled."""
        try:
            while True:
                self._wake.clear()
                delay = await self._poll_or_retry()
                # Not wait_for: on Python 3.11 it can swallow a cancellation that meets the wake.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
        finally:
            await asyncio.to_thread(self.close)

    async def poll(self) -> None:
        """Ask the remote for the ref once; build and offer the revision if it is new."""
        self.polls += 1
        sha = await asyncio.to_thread(self._remote.resolve)
        if sha != self._published:
            snapshot = await asyncio.to_thread(self._build, sha)
            self._offer(snapshot)
            self._published = sha
            await asyncio.to_thread(self._remote.maintain)

    async def _poll_or_retry(self) -> float:
        """Poll; return how long to wait before the next poll."""
        try:
            await self.poll()
        except SourceUnavailable as exc:
            return await self._unavailable(exc.cause, str(exc))
        except Exception as exc:  # a bug must not stop the source: log it, keep retrying
            _log.exception("git source %s: poll failed", self.config.location.description)
            return await self._unavailable("internal", f"internal error: {exc}")
        if self._failures:
            _log.info("git source %s: reachable again", self.config.location.description)
        self._failures = 0
        self._store.source_recovered()
        return self.config.poll_interval

    async def _unavailable(self, cause: str, message: str) -> float:
        self._failures += 1
        delay = self.config.backoff.delay(self._failures)
        _log.warning(
            "git source %s: %s (%s); retry %d in %.1f s",
            self.config.location.description,
            message,
            cause,
            self._failures,
            delay,
        )
        self._store.source_error(f"{message} ({cause})")
        if self._failures == 1 and self.config.fetch_policy is FetchPolicy.LENIENT:
            await self._serve_cached()
        return delay

    async def _serve_cached(self) -> None:
        if self._store.ready:
            return
        cached = await asyncio.to_thread(self._remote.cached)
        if cached is None:
            _log.warning("git source %s: lenient start, but the cache is empty", self._name)
            return
        _log.warning("git source %s: serving cached revision %s", self._name, cached[:12])
        # The remote is still down: the cached revision must not clear the error.
        snapshot = await asyncio.to_thread(self._build, cached)
        self._offer(snapshot, cached=True)

    def _build(self, sha: str) -> Snapshot:
        commit = self._remote.fetch(sha)
        tree, revision = read_commit(self._remote, commit, self._listings)
        return self._builder.build(tree, revision)

    def _offer(self, snapshot: Snapshot, *, cached: bool = False) -> None:
        publish(self._store, snapshot, f"git source {self._name}", _log, cached=cached)

    @property
    def _name(self) -> str:
        return self.config.location.description

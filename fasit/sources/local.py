"""The local source: follows a directory on disk, for development.

watchfiles reports changes in debounced batches (one batch per burst of saves). A batch is
only a hint: a directory rename reports the directory and not its files, and an editor's
atomic save reports a file as added. So any batch makes the source capture the whole tree
again, and a slow periodic rescan covers whatever the watcher missed. A capture whose
fingerprint equals the last one builds nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from pathlib import Path, PurePath

from watchfiles import Change, awatch

from fasit.errors import FasitError
from fasit.sources.publish import publish
from fasit.state import (
    DirectoryTree,
    LoadLimits,
    MemoryTree,
    Revision,
    Snapshot,
    SnapshotBuilder,
    SnapshotStore,
)

__all__ = ["LocalSource"]

_log = logging.getLogger("fasit.sources.local")
# Editor droppings: swap and backup files never hold state.
_EDITOR_FILES = re.compile(r"\.sw[a-p]$|~$|^\.#|^#.*#$|^4913$")


class LocalSource:
    """Watches `root` and offers a snapshot for each change to its content."""

    def __init__(
        self,
        root: Path,
        builder: SnapshotBuilder,
        store: SnapshotStore,
        *,
        limits: LoadLimits | None = None,
        debounce: float = 0.3,
        rescan_interval: float = 30.0,
    ) -> None:
        self.root = root.resolve()
        self._builder = builder
        self._store = store
        self._limits = limits or LoadLimits()
        self._debounce = debounce
        self._rescan_interval = rescan_interval
        self._fingerprint: str | None = None
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None
        self.captures = 0

    async def run(self) -> None:
        """Capture now, then on every batch of changes and every rescan interval."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._watch())
            # The watcher is set up when its task first runs: let it, so that nothing written
            # after the first capture can be missed.
            await asyncio.sleep(0)
            await self.rescan()
            tasks.create_task(self._rescan_periodically())

    def refresh(self) -> None:
        """Capture now rather than at the next change (a webhook); calls meanwhile coalesce."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.get_running_loop().create_task(self.rescan())

    async def rescan(self) -> None:
        """Capture the directory; build and offer a snapshot if its content changed."""
        async with self._lock:
            try:
                capture = await asyncio.to_thread(self._capture)
            except FasitError as exc:
                _log.warning("local source %s: %s", self.root, exc)
                self._store.source_error(str(exc))
                return
            self._store.source_recovered()
            if capture.fingerprint == self._fingerprint:
                return
            revision = Revision(capture.fingerprint, str(self.root), datetime.now(UTC))
            snapshot = await asyncio.to_thread(self._builder.build, capture, revision)
            self._fingerprint = capture.fingerprint
            self._offer(snapshot)

    def _capture(self) -> MemoryTree:
        self.captures += 1
        return MemoryTree.capture(DirectoryTree(self.root), self._limits.max_file_bytes)

    async def _watch(self) -> None:
        stop = asyncio.Event()
        try:
            async for _changes in awatch(
                self.root,
                watch_filter=self._relevant,
                debounce=int(self._debounce * 1000),
                step=50,
                stop_event=stop,
            ):
                await self.rescan()
        finally:
            stop.set()

    async def _rescan_periodically(self) -> None:
        while True:
            await asyncio.sleep(self._rescan_interval)
            await self.rescan()

    def _relevant(self, change: Change, path: str) -> bool:
        """Changes below dot directories and editor swap files never change the state."""
        relative = PurePath(path).relative_to(self.root)
        if not relative.parts:  # the root itself
            return True
        if any(part.startswith(".") for part in relative.parts[:-1]):
            return False
        return _EDITOR_FILES.search(relative.name) is None

    def _offer(self, snapshot: Snapshot) -> None:
        publish(self._store, snapshot, f"local source {self.root}", _log)

"""In-repo chart archives as `fasit serve` hands them to agents (docs/charts.md).

`ChartArchives.publish` packages a resolved in-repo chart once per chart digest and answers
where agents fetch it (`<base URL>/charts/sha256:<archive hex>.tgz`) and the archive's digest,
which the instruction pins; `archive(digest)` is what the HTTP route (fasit/web/charts.py)
serves. Archives stay in memory, least recently used first out past a byte budget. Never
touches the network or the disk itself: the caller supplies the packager, which reads the tree.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fasit.charts.package import PackagedChart
from fasit.charts.resolved import ResolvedChart

__all__ = [
    "ARCHIVES_PATH",
    "DEFAULT_ARCHIVE_BUDGET",
    "ChartArchives",
    "ServedChart",
    "archive_digest",
]

logger = logging.getLogger(__name__)

ARCHIVES_PATH = "/charts"
"""Where on fasit's HTTP address archives are served, each at `/charts/sha256:<hex>.tgz`."""
DEFAULT_ARCHIVE_BUDGET = 256 * 1024 * 1024
"""Bytes of archives kept in memory by default."""

_ARCHIVE_NAME = re.compile(r"(sha256:[0-9a-f]{64})\.tgz")


def archive_digest(name: str) -> str | None:
    """The digest an archive's file name holds ("sha256:ab….tgz" → "sha256:ab…"), or None."""
    match = _ARCHIVE_NAME.fullmatch(name)
    return None if match is None else match[1]


@dataclass(frozen=True, slots=True)
class ServedChart:
    """Where agents fetch a packaged chart, and the digest of the archive they must get."""

    url: str
    digest: str


Packager = Callable[[ResolvedChart], PackagedChart]
"""Packages a resolved in-repo chart (`InRepoCharts(...).package` of its revision)."""


class ChartArchives:
    """Packaged in-repo charts by digest, in memory up to `budget` bytes (LRU).

    Thread-safe: the reconciler publishes while the HTTP route reads. An archive evicted after
    its instruction went out is packaged again by the next publish of its chart (the agent's
    download fails with 404 meanwhile, and the reconciler's retry publishes again).
    """

    def __init__(self, base_url: str, *, budget: int = DEFAULT_ARCHIVE_BUDGET) -> None:
        if budget <= 0:
            raise ValueError(f"budget must be positive, got {budget}")
        self.base_url = base_url.rstrip("/")
        self.budget = budget
        self._lock = threading.Lock()
        # chart digest → archive (in use order, oldest first); archive digest → chart digest.
        self._archives: OrderedDict[str, PackagedChart] = OrderedDict()
        self._charts_of: dict[str, str] = {}
        self._bytes = 0

    def held(self, chart: ResolvedChart) -> ServedChart | None:
        """Where agents get `chart` if it is packaged already; None if `publish` must package it.

        Never reads the tree, so an event loop may ask it (and only hand `publish` to a thread
        when this says None).
        """
        with self._lock:
            packaged = self._use(chart.digest)
        return None if packaged is None else self._served(packaged)

    def publish(self, chart: ResolvedChart, package: Packager) -> ServedChart:
        """Where agents get `chart`, packaging it with `package` unless it is already held.

        Blocks while packaging reads the tree (a git tree waits for a fetch under way).
        """
        served = self.held(chart)
        if served is not None:
            return served
        # Outside the lock: packaging reads the tree, and readers must not wait for it.
        packaged = package(chart)
        with self._lock:
            packaged = self._keep(chart.digest, packaged)
        logger.info(
            "in-repo chart packaged for agents",
            extra={
                "feature": chart.feature,
                "version": chart.version,
                "digest": packaged.digest,
                "bytes": len(packaged.archive),
            },
        )
        return self._served(packaged)

    def archive(self, digest: str) -> bytes | None:
        """The archive whose sha256 is `digest` (`sha256:<hex>`), or None if not held."""
        with self._lock:
            chart_digest = self._charts_of.get(digest)
            if chart_digest is None:
                return None
            packaged = self._use(chart_digest)
            return None if packaged is None else packaged.archive

    @property
    def held_bytes(self) -> int:
        """The bytes of archives held now (at most `budget`, but for one larger archive)."""
        return self._bytes

    def _served(self, packaged: PackagedChart) -> ServedChart:
        return ServedChart(f"{self.base_url}{ARCHIVES_PATH}/{packaged.digest}.tgz", packaged.digest)

    def _use(self, chart_digest: str) -> PackagedChart | None:
        packaged = self._archives.get(chart_digest)
        if packaged is not None:
            self._archives.move_to_end(chart_digest)
        return packaged

    def _keep(self, chart_digest: str, packaged: PackagedChart) -> PackagedChart:
        """Hold `packaged` (or the copy a concurrent publish kept first), evicting past budget."""
        held = self._use(chart_digest)
        if held is not None:
            return held
        self._archives[chart_digest] = packaged
        self._charts_of[packaged.digest] = chart_digest
        self._bytes += len(packaged.archive)
        # The archive just published is kept even alone past the budget: its instruction is
        # about to go out, and refusing it would stop that chart from deploying at all.
        while self._bytes > self.budget and len(self._archives) > 1:
            evicted_chart, evicted = self._archives.popitem(last=False)
            if self._charts_of.get(evicted.digest) == evicted_chart:
                del self._charts_of[evicted.digest]
            self._bytes -= len(evicted.archive)
        return packaged

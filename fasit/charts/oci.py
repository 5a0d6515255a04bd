"""The OCI backend of the chart resolver: `oci://host/path/name` at a version → a resolved chart.

Per chart version: the tag's digest (HEAD on the manifest), the manifest (checked to be a Helm
chart's), the chart layer (verified against its digest), and Chart.yaml, Feature.yaml and what
the values check needs (chart_schema.py) read from the layer in memory. Requests run in worker
threads, a few at a time, off the event loop.

Caches, so that a steady fleet makes no registry traffic:
- a tag's digest is kept for `tag_ttl` seconds; `refresh()` (run in the background by the
  server) looks it up again, and a tag that moved is logged with both digests. The digest is
  part of the release hash, so releases of a moved tag redeploy.
- blobs are kept by digest on disk (`cache_dir`) and parsed charts in memory: both immutable.

The in-memory caches are bounded (`tag_cache_size`, `parsed_cache_size`, least recently used
forgotten first): a server that has named many charts over its life keeps the recent ones.

Failure isolation: one chart version's failure is that version's `Unavailable` outcome; the rest
resolve. Transient failures (unreachable, timeout, 5xx) are retried with backoff, then the
registry is left alone for a while (its requests fail at once with the last reason) so a stalled
registry costs one timeout, not one per chart. A tag whose digest was known before keeps it while
its registry is unavailable (logged), as Flux keeps its last artifact. Nothing needs a restart:
the next resolution after the backoff asks again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from fasit.backoff import Backoff
from fasit.charts.archive import ArchiveBudget, ArchiveError, ArchiveLimits, read_archive
from fasit.charts.blob_cache import BlobCache
from fasit.charts.chart_files import CHART_YAML, FEATURE_YAML, ChartFiles, parse_chart_files
from fasit.charts.chart_schema import read_chart_schema, schema_member
from fasit.charts.lru import Lru
from fasit.charts.manifest import HELM_CHART_LAYER, HELM_CONFIG, NotAChart, chart_layer
from fasit.charts.registry import RegistryClient, RegistryError, RegistryFailure
from fasit.charts.resolved import ChartOutcome, OciWanted, Unavailable
from fasit.charts.versions import existing_note
from fasit.model import OciChart, parse_oci_chart
from fasit.state import LoadLimits, Problem, ProblemCode

__all__ = [
    "HELM_CHART_LAYER",
    "HELM_CONFIG",
    "OciCharts",
    "OciSettings",
    "TagChange",
]

_log = logging.getLogger(__name__)


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class OciSettings:
    """Cache lifetimes, parallelism and retry policy of the OCI backend."""

    tag_ttl: float = 60.0
    concurrency: int = 8
    # Tries per request when the failure is transient, `retry` apart (a timeout: one try).
    attempts: int = 3
    retry: Backoff = field(default_factory=lambda: Backoff(initial=0.25, maximum=2.0))
    # How long a registry that kept failing is left alone, growing with each failure.
    registry_backoff: Backoff = field(default_factory=lambda: Backoff(initial=1.0, maximum=60.0))
    cache_dir: Path | None = None
    archive: ArchiveLimits = field(default_factory=ArchiveLimits)
    tag_cache_size: int = 4096
    """Tags whose digest is kept in memory; the least recently used is looked up again."""
    parsed_cache_size: int = 1024
    """Chart versions kept parsed in memory (a chart's files, a few hundred KiB at most)."""


@dataclass(frozen=True, slots=True)
class TagChange:
    """A tag that now points at a different digest than when it was last looked up."""

    reference: str
    before: str
    after: str


@dataclass(slots=True)
class _Tag:
    digest: str
    checked_at: float


@dataclass(slots=True)
class _Registry:
    failures: int = 0
    down_until: float = 0.0
    reason: str = ""


# What a parsed chart version is: its files, or the problems in them.
_Parsed = tuple[ChartFiles | None, tuple[Problem, ...]]


class OciCharts:
    """Resolves oci:// chart versions; one per process, shared by every build."""

    def __init__(
        self,
        client: RegistryClient,
        settings: OciSettings | None = None,
        limits: LoadLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.settings = settings or OciSettings()
        self._limits = limits or LoadLimits()
        self._clock = clock
        self._pool = ThreadPoolExecutor(self.settings.concurrency, "fasit-registry")
        self._blobs = (
            None if self.settings.cache_dir is None else BlobCache(self.settings.cache_dir)
        )
        self._tags: Lru[tuple[OciChart, str], _Tag] = Lru(self.settings.tag_cache_size)
        self._registries: dict[str, _Registry] = {}
        self._parsed: Lru[tuple[str, str, str], _Parsed] = Lru(self.settings.parsed_cache_size)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()

    async def resolve(self, wanted: Iterable[OciWanted]) -> dict[tuple[str, str], ChartOutcome]:
        """The outcome of every wanted version, keyed by (feature, version)."""
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(item: OciWanted) -> tuple[tuple[str, str], ChartOutcome]:
            async with gate:
                return (item.feature, item.version), await self._outcome(item)

        return dict(await asyncio.gather(*(one(item) for item in wanted)))

    async def refresh(self) -> list[TagChange]:
        """Look up again every tag older than `tag_ttl`; the ones that moved."""
        now = self._clock()
        due = [
            (key, known.digest)
            for key, known in self._tags.items()
            if now - known.checked_at >= self.settings.tag_ttl
        ]
        changes: list[TagChange] = []
        for (chart, tag), before in due:
            try:
                after = await self._lookup(chart, tag)
            except RegistryError as exc:
                _log.warning("%s:%s: tag not refreshed: %s", chart.url, tag, exc)
                continue
            if after != before:
                changes.append(TagChange(f"{chart.url}:{tag}", before, after))
        return changes

    async def keep_fresh(
        self, on_change: Callable[[list[TagChange]], None], interval: float | None = None
    ) -> None:
        """Refresh expired tags every `interval` (default: the tag lifetime) until cancelled.

        `on_change` hears of moved tags, so the server can plan again without a new revision.
        """
        while True:
            await asyncio.sleep(interval or self.settings.tag_ttl)
            changes = await self.refresh()
            if changes:
                on_change(changes)

    async def _outcome(self, wanted: OciWanted) -> ChartOutcome:
        try:
            chart = parse_oci_chart(wanted.chart)
            tag = chart.tag(wanted.version)
        except ValueError as exc:
            return ChartOutcome(None, (), Unavailable(ProblemCode.CHART_MISSING, str(exc)))
        try:
            digest = await self._digest(chart, tag)
        except RegistryError as exc:
            missing = exc.failure is RegistryFailure.NOT_FOUND
            note = await self._existing(chart, tag) if missing else ""
            return ChartOutcome(None, (), _unavailable(chart, wanted.version, exc, note))
        try:
            files, problems = await self._chart_files(chart, wanted.version, digest)
        except RegistryError as exc:
            return ChartOutcome(None, (), _unavailable(chart, wanted.version, exc))
        except NotAChart as exc:
            return ChartOutcome(None, (), exc.unavailable)
        if files is None:
            return ChartOutcome(None, problems)
        return ChartOutcome(files.resolved(wanted.feature, wanted.version, chart.url, digest))

    # --- tags ---------------------------------------------------------------------------------

    async def _digest(self, chart: OciChart, tag: str) -> str:
        known = self._tags.get((chart, tag))
        if known is not None and self._clock() - known.checked_at < self.settings.tag_ttl:
            return known.digest
        try:
            return await self._lookup(chart, tag)
        except RegistryError as exc:
            if known is None or not exc.failure.transient:
                raise
            _log.warning(
                "%s:%s: keeping digest %s while the registry is unavailable: %s",
                chart.url,
                tag,
                known.digest,
                exc,
            )
            return known.digest

    async def _existing(self, chart: OciChart, tag: str) -> str:
        """Which tags the registry does have, asked only once `tag` turned out missing."""
        try:
            tags = await self._call(chart, self.client.list_tags, chart)
        except RegistryError as exc:
            if exc.failure is not RegistryFailure.NOT_FOUND:  # else: no such repository, no tags
                _log.info("%s: cannot list its tags: %s", chart.url, exc)
                return ""
            tags = []
        return existing_note(tag, tags, "registry")

    async def _lookup(self, chart: OciChart, tag: str) -> str:
        digest = await self._call(chart, self.client.resolve_tag, chart, tag)
        known = self._tags.get((chart, tag))
        if known is not None and known.digest != digest:
            _log.warning(
                "%s:%s now points at %s (was %s): releases of it will redeploy",
                chart.url,
                tag,
                digest,
                known.digest,
            )
        self._tags.put((chart, tag), _Tag(digest, self._clock()))
        return digest

    # --- chart content -------------------------------------------------------------------------

    async def _chart_files(self, chart: OciChart, version: str, digest: str) -> _Parsed:
        key = (chart.url, version, digest)
        parsed = self._parsed.get(key)
        if parsed is None:
            manifest = await self._call(chart, self._blob, chart, digest, True)
            layer = chart_layer(chart, version, manifest)
            archive = await self._call(chart, self._blob, chart, layer, False)
            # Decompressing and parsing a chart archive takes a while: not on the event loop.
            parsed = self._parsed.put(
                key, await asyncio.to_thread(self._parse, chart, version, archive)
            )
        return parsed

    def _blob(self, chart: OciChart, digest: str, manifest: bool) -> bytes:
        """From the disk cache, else from the registry (then kept); runs in a worker thread."""
        data = None if self._blobs is None else self._blobs.get(digest)
        if data is None:
            fetch = self.client.fetch_manifest if manifest else self.client.fetch_blob
            data = fetch(chart, digest)
            if self._blobs is not None:
                self._blobs.put(digest, data)
        return data

    def _parse(self, chart: OciChart, version: str, archive: bytes) -> _Parsed:
        where = f"{chart.url}:{chart.tag(version)}"
        names = {name: f"{chart.name}/{name}" for name in (CHART_YAML, FEATURE_YAML)}
        budget, for_schema = ArchiveBudget(self.settings.archive), schema_member(chart.name)
        try:
            members = read_archive(
                archive, lambda name: name in names.values() or for_schema(name), budget=budget
            )
        except ArchiveError as exc:
            raise NotAChart(
                Unavailable(ProblemCode.CHART_NOT_HELM, f"{where}: the chart layer is {exc}")
            ) from None
        lacking = [path for path in names.values() if path not in members]
        if lacking:
            raise NotAChart(
                Unavailable(
                    ProblemCode.CHART_INCOMPLETE,
                    f"{where}: the chart archive lacks {' and '.join(lacking)}",
                )
            )
        files, problems = parse_chart_files(
            (f"{where}/{names[CHART_YAML]}", members[names[CHART_YAML]]),
            (f"{where}/{names[FEATURE_YAML]}", members[names[FEATURE_YAML]]),
            version,
            self._limits,
        )
        schema, more = read_chart_schema(
            members, f"{where}/{chart.name}", self._limits, budget, chart.name
        )
        if files is None or more:
            return None, (*problems, *more)
        return replace(files, schema=schema), ()

    # --- calls ---------------------------------------------------------------------------------

    async def _call(self, chart: OciChart, function: Callable[..., T], *args: object) -> T:
        """`function(*args)` in a worker thread; transient failures retried, then backed off."""
        registry = self._registries.setdefault(chart.registry, _Registry())
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            if registry.down_until > self._clock():  # another call gave up on it meanwhile
                raise RegistryError(
                    RegistryFailure.UNREACHABLE,
                    f"{registry.reason} (not asked again for"
                    f" {registry.down_until - self._clock():.1f} s)",
                )
            try:
                result = await loop.run_in_executor(self._pool, lambda: function(*args))
            except RegistryError as exc:
                if exc.failure is RegistryFailure.UNAUTHORIZED:
                    self.client.forget_auth(chart.registry)  # credentials or scheme may change
                if not exc.failure.transient:
                    raise
                attempt += 1
                # A timeout already cost the whole wait: the registry's backoff retries it.
                if attempt < self.settings.attempts and exc.failure is not RegistryFailure.TIMEOUT:
                    await asyncio.sleep(self.settings.retry.delay(attempt))
                    continue
                registry.failures += 1
                registry.reason = str(exc)
                delay = self.settings.registry_backoff.delay(registry.failures)
                registry.down_until = self._clock() + delay
                raise
            if registry.failures:
                _log.info("%s: reachable again", chart.registry)
            registry.failures = 0
            registry.down_until = 0.0
            return result


def _unavailable(chart: OciChart, version: str, exc: RegistryError, note: str = "") -> Unavailable:
    code = {
        RegistryFailure.NOT_FOUND: ProblemCode.CHART_MISSING,
        RegistryFailure.UNAUTHORIZED: ProblemCode.REGISTRY_UNAUTHORIZED,
        RegistryFailure.CORRUPT: ProblemCode.CHART_DIGEST_MISMATCH,
    }.get(exc.failure, ProblemCode.REGISTRY_UNAVAILABLE)
    return Unavailable(code, f"{chart.url} {version}: {exc}{note}")

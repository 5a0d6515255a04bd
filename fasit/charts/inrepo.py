"""The in-repo backend of the chart resolver: `charts/<feature>/<version>/` in the state tree.

A version directory holds Chart.yaml (whose `version` is the directory name), Feature.yaml,
values.yaml and templates/. The digest is sha256 over the sorted list of (path, sha256 of
content) of every file in the directory that the chart's `.helmignore` keeps (as `helm package`
would), so any change to any packaged file changes it. Of the packaged files, values.yaml,
values.schema.json and those of subcharts (`charts/`) are read for the values check.

With `kept_bytes`, the files read while resolving (every packaged file, for the digest) are
kept, up to that many bytes, so `package` reads no tree: `fasit serve` packages for agents
while a git fetch may hold the cache that a git tree reads under, for as long as the remote
takes. The kept bytes are the very ones the digest was made of.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from fasit.charts.archive import ArchiveBudget, ArchiveLimits
from fasit.charts.chart_files import CHART_YAML, FEATURE_YAML, parse_chart_files
from fasit.charts.chart_schema import read_chart_schema, schema_member
from fasit.charts.helmignore import HELMIGNORE, HelmIgnore, HelmIgnoreError
from fasit.charts.package import PackagedChart, package_chart
from fasit.charts.resolved import ChartOutcome, ResolvedChart, Unavailable
from fasit.charts.versions import existing_note
from fasit.state import (
    EntryKind,
    FileTooLarge,
    LoadLimits,
    Problem,
    ProblemCode,
    Tree,
    TreeEntry,
)

__all__ = ["InRepoCharts"]


class InRepoCharts:
    """Resolves in-repo chart versions from a tree, each at most once."""

    def __init__(
        self,
        tree: Tree,
        entries: Iterable[TreeEntry],
        limits: LoadLimits,
        *,
        kept_bytes: int = 0,
    ) -> None:
        self._tree = tree
        self._limits = limits
        # Path → content of the files read so far, while their sum stays within `kept_bytes`.
        self._kept: dict[str, bytes] = {}
        self._kept_room = kept_bytes
        self._kept_lock = threading.Lock()
        # Every directory (at any depth) → the files below it.
        self._files: dict[str, list[TreeEntry]] = defaultdict(list)
        for entry in entries:
            if entry.kind is not EntryKind.FILE:
                continue
            parts = entry.path.split("/")
            for depth in range(1, len(parts)):
                self._files["/".join(parts[:depth])].append(entry)
        self._cache: dict[tuple[str, str], ChartOutcome] = {}

    def resolve(self, chart: str, feature: str, version: str) -> ChartOutcome:
        """The chart of `feature` at `version`, found at `chart`/`version` in the tree."""
        key = (chart, version)
        if key not in self._cache:
            self._cache[key] = self._resolve(chart, feature, version)
        return self._cache[key]

    def package(self, chart: ResolvedChart) -> PackagedChart:
        """The resolved in-repo `chart` as the archive agents install (docs/charts.md)."""
        directory = chart.location
        files = {
            entry.path.removeprefix(directory + "/"): self._read(entry.path)
            for entry in self._packaged(directory)
        }
        return package_chart(chart.chart_yaml.name, files)

    def _read(self, path: str) -> bytes:
        """The file at `path`: as kept from an earlier read, else from the tree (then kept)."""
        with self._kept_lock:
            content = self._kept.get(path)
        if content is None:
            content = self._tree.read(path, self._limits.max_file_bytes)
            with self._kept_lock:  # charts are packaged on worker threads, maybe two at once
                if path not in self._kept and len(content) <= self._kept_room:
                    self._kept[path] = content
                    self._kept_room -= len(content)
        return content

    def _packaged(self, directory: str) -> list[TreeEntry]:
        """The files of `directory` its `.helmignore` keeps, sorted by path."""
        files_in = sorted(self._files[directory], key=lambda entry: entry.path)
        path = f"{directory}/{HELMIGNORE}"
        if not any(entry.path == path for entry in files_in):
            return files_in
        rules = HelmIgnore(self._read(path).decode("utf-8", "surrogateescape"))
        prefix = directory + "/"
        return [entry for entry in files_in if not rules.ignored(entry.path.removeprefix(prefix))]

    def _resolve(self, chart: str, feature: str, version: str) -> ChartOutcome:
        directory = f"{chart}/{version}"
        if directory not in self._files:
            return _unavailable(
                ProblemCode.CHART_MISSING,
                f"no chart directory {directory}/ for {feature} {version}"
                + existing_note(version, self._versions(chart), "repository"),
            )
        files_in = sorted(self._files[directory], key=lambda entry: entry.path)
        names = {entry.path.removeprefix(directory + "/"): entry for entry in files_in}
        lacking = [name for name in (CHART_YAML, FEATURE_YAML) if name not in names]
        if lacking:
            return _unavailable(
                ProblemCode.CHART_INCOMPLETE,
                f"chart directory {directory}/ lacks {' and '.join(lacking)}",
            )
        contents: dict[str, tuple[str, bytes]] = {}
        for name in (CHART_YAML, FEATURE_YAML):
            path = names[name].path
            try:
                contents[name] = (path, self._read(path))
            except (FileTooLarge, OSError) as exc:
                return ChartOutcome(None, (_unreadable(path, exc),))
        files, problems = parse_chart_files(
            contents[CHART_YAML], contents[FEATURE_YAML], version, self._limits
        )
        if files is None:
            return ChartOutcome(None, tuple(problems))
        helmignore = names.get(HELMIGNORE)
        try:
            packaged = self._packaged(directory)
        except (FileTooLarge, OSError) as exc:
            assert helmignore is not None  # only .helmignore is read here
            return ChartOutcome(None, (_unreadable(helmignore.path, exc),))
        except HelmIgnoreError as exc:
            path = f"{directory}/{HELMIGNORE}"
            problem = Problem(path, exc.line, 1, ProblemCode.CHART_INCOMPLETE, str(exc))
            return ChartOutcome(None, (problem,))
        digest = self._digest(directory, packaged, problems)
        if digest is None:
            return ChartOutcome(None, tuple(problems))
        wanted = schema_member(directory)
        read: dict[str, bytes] = {}
        for entry in (entry for entry in packaged if wanted(entry.path)):
            try:
                read[entry.path] = self._read(entry.path)
            except (FileTooLarge, OSError) as exc:  # read for the digest just now: hardly ever
                return ChartOutcome(None, (_unreadable(entry.path, exc),))
        budget = ArchiveBudget(ArchiveLimits())
        schema, problems = read_chart_schema(read, directory, self._limits, budget, directory)
        if problems:
            return ChartOutcome(None, tuple(problems))
        return ChartOutcome(
            replace(files, schema=schema).resolved(feature, version, directory, digest)
        )

    def _versions(self, chart: str) -> list[str]:
        """The version directories under `chart`/ (those holding any file)."""
        prefix = chart + "/"
        below = (name.removeprefix(prefix) for name in self._files if name.startswith(prefix))
        return [name for name in below if "/" not in name]

    def _digest(
        self, directory: str, files: list[TreeEntry], problems: list[Problem]
    ) -> str | None:
        listing = hashlib.sha256()
        for entry in files:
            try:
                content = self._read(entry.path)
            except (FileTooLarge, OSError) as exc:
                problems.append(_unreadable(entry.path, exc))
                return None
            relative = entry.path.removeprefix(directory + "/")
            listing.update(f"{relative}\0{hashlib.sha256(content).hexdigest()}\n".encode())
        return f"sha256:{listing.hexdigest()}"


def _unreadable(path: str, exc: Exception) -> Problem:
    return Problem(path, None, None, ProblemCode.CHART_INCOMPLETE, f"cannot read chart file: {exc}")


def _unavailable(code: ProblemCode, message: str) -> ChartOutcome:
    return ChartOutcome(None, (), Unavailable(code, message))

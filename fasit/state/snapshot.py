"""Snapshots: one revision of the state, parsed, cross-checked and indexed, then never changed.

`build_snapshot` is the state half of the one build: `fasit validate` calls it and so does
the server's `SnapshotBuilder`, so both see the same problems for the same tree. What needs
charts (Feature.yaml checks, rendering) comes after, per release.

A snapshot is servable when none of its problems is an error: every error this stage finds
(YAML, schema, limits, symlinks, duplicates, unknown references, ambiguity, a bad index file)
blocks the whole revision, because nothing about it can be trusted.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from fasit.state.crosscheck import StateIndex, cross_check
from fasit.state.loader import LoadLimits, LoadResult, ParseCache, load_state
from fasit.state.problems import Problem, Severity
from fasit.state.sameness import same_documents
from fasit.state.targeting import Targeting, target, unassigned_protected, unused_configs
from fasit.state.tree import Tree

__all__ = ["Revision", "Snapshot", "SnapshotBuilder", "build_snapshot"]


@dataclass(frozen=True, slots=True)
class Revision:
    """Which revision a tree is: a commit, or a capture of a local directory."""

    id: str
    """The commit SHA, or the fingerprint of a local directory's content."""
    source: str
    """Where it came from, for people: a URL with ref and directory, or a path."""
    time: datetime
    """The commit time (git), or when the directory was read (local)."""
    author: str = ""
    """`Name <email>` of the commit's author; "" for a local directory."""
    message: str = ""

    @property
    def short_id(self) -> str:
        return self.id[:12]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One revision's state with its indexes and problems. Immutable: share it freely."""

    revision: Revision
    tree: Tree
    """The tree it was read from, for later stages that read more of it (in-repo charts)."""
    load: LoadResult
    index: StateIndex
    targeting: Targeting
    problems: tuple[Problem, ...]
    """Every problem found, in reading order (file, line, column)."""
    build_seconds: float = 0.0
    """How long `build_snapshot` took (for the snapshot build duration metric)."""

    @property
    def blocking(self) -> tuple[Problem, ...]:
        """The problems that keep this revision from being served."""
        return tuple(problem for problem in self.problems if problem.severity is Severity.ERROR)

    @property
    def servable(self) -> bool:
        return not self.blocking


def build_snapshot(
    tree: Tree,
    revision: Revision,
    limits: LoadLimits | None = None,
    cache: ParseCache | None = None,
    previous: Snapshot | None = None,
) -> Snapshot:
    """Read, check and index the state held by `tree`; problems are collected, never raised.

    With a `cache`, unchanged files are not parsed again; with a `previous` snapshot (from any
    build), targeting is reused when no environment or assignment changed.
    """
    started = time.perf_counter()
    load = load_state(tree, limits, cache)
    index, cross_problems = cross_check(load.state)
    if previous is not None and _unchanged_targeting_inputs(previous, index):
        targeting = previous.targeting
    else:
        targeting = target(index.environments.values(), index.assignments)
    unused = unused_configs(index.configs, targeting)
    unused.extend(unassigned_protected(index.features, targeting))
    problems = sorted(
        [*load.problems, *cross_problems, *targeting.problems, *unused], key=lambda p: p.sort_key
    )
    seconds = time.perf_counter() - started
    return Snapshot(revision, tree, load, index, targeting, tuple(problems), seconds)


def _unchanged_targeting_inputs(previous: Snapshot, index: StateIndex) -> bool:
    """Whether targeting would see the same documents, in the same order, by content key."""
    return same_documents(previous.index.assignments, index.assignments) and same_documents(
        tuple(previous.index.environments.values()), tuple(index.environments.values())
    )


class SnapshotBuilder:
    """Builds snapshots for one source: each revision once, each changed file parsed once.

    Built snapshots are kept by revision id in a bounded LRU, so a force-push back to a
    revision seen lately is served without a build. Not thread-safe: one build at a time.
    """

    def __init__(self, limits: LoadLimits | None = None, revisions_kept: int = 16) -> None:
        self._limits = limits or LoadLimits()
        self._cache = ParseCache()
        self._built: OrderedDict[str, Snapshot] = OrderedDict()
        self._latest: Snapshot | None = None
        self._revisions_kept = revisions_kept
        self.builds = 0
        """How many snapshots were built rather than found (for tests and metrics)."""

    @property
    def parse_cache(self) -> ParseCache:
        return self._cache

    def build(self, tree: Tree, revision: Revision) -> Snapshot:
        """The snapshot of `revision`, built from `tree` unless it was built lately."""
        snapshot = self._built.get(revision.id)
        if snapshot is not None:
            self._built.move_to_end(revision.id)
            return snapshot
        snapshot = build_snapshot(tree, revision, self._limits, self._cache, self._latest)
        self._latest = snapshot
        self.builds += 1
        self._built[revision.id] = snapshot
        if len(self._built) > self._revisions_kept:
            self._built.popitem(last=False)
        return snapshot

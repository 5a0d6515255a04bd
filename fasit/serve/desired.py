"""Desired state for the reconciler: each served snapshot through the chart stage and planner.

The snapshot store hands over every snapshot it swaps in (the newest only, if several came
while one was being planned); charts are resolved (in-repo from the snapshot's tree, oci://
from registries) and the planner plans, both off the event loop. A moved OCI tag plans the
current snapshot again: same revision, new chart digest, new plan.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from fasit.charts import InRepoCharts, OciCharts, TagChange
from fasit.plan import (
    ChartSet,
    Plan,
    PlanChanges,
    PlanHistory,
    Planner,
    oci_charts_wanted,
    resolve_charts,
)
from fasit.state import LoadLimits, Snapshot, SnapshotStore

__all__ = ["KEPT_CHART_BYTES", "DesiredState"]

logger = logging.getLogger(__name__)

KEPT_CHART_BYTES = 64 * 1024 * 1024
"""In-repo chart files kept from planning for packaging (`InRepoCharts(kept_bytes=...)`):
packaging then reads no git tree, whose reads wait for a fetch under way. Past it, it does."""


class DesiredState:
    """Plans every snapshot the store serves and hands each plan to `on_plan`."""

    def __init__(
        self,
        store: SnapshotStore,
        planner: Planner,
        on_plan: Callable[[Plan], None],
        oci: OciCharts | None = None,
        limits: LoadLimits | None = None,
    ) -> None:
        self._store = store
        self._planner = planner
        self._on_plan = on_plan
        self._oci = oci
        self._limits = limits or LoadLimits()
        self._lock = asyncio.Lock()
        self.in_repo: InRepoCharts | None = None
        """The in-repo charts of the planned snapshot (what packages them for agents)."""
        self.planned: tuple[Snapshot, Plan] | None = None
        """The latest plan with the snapshot it was planned from (what explanations read)."""
        self.history = PlanHistory()
        """What each plan changed against the one before (the dashboard's revisions)."""
        self._replans: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Plan each snapshot the store serves (and, with OCI charts, follow moving tags)."""
        async with asyncio.TaskGroup() as tasks:
            if self._oci is not None:
                tasks.create_task(self._oci.keep_fresh(self._tags_moved))
            async for snapshot in self._store.updates():
                await self.replan(snapshot)

    async def replan(self, snapshot: Snapshot | None = None) -> None:
        """Plan `snapshot` (default: the one served now) and hand the plan over."""
        snapshot = snapshot or self._store.current
        if snapshot is None:
            return
        async with self._lock:
            charts, in_repo = await self._charts(snapshot)
            plan, changes = await asyncio.to_thread(self._plan, snapshot, charts)
            self.history.add(plan, changes)
            self.in_repo = in_repo
            self.planned = (snapshot, plan)
        problems = plan.problem_counts()
        self._store.planned(snapshot.revision, problems)
        logger.info(
            "planned revision %s: %d releases (%d rendered); %s",
            snapshot.revision.short_id,
            len(plan.releases),
            plan.rendered,
            _problems_text(problems),
            extra={"revision": snapshot.revision.id},
        )
        self._on_plan(plan)

    def _plan(self, snapshot: Snapshot, charts: ChartSet) -> tuple[Plan, PlanChanges | None]:
        plan = self._planner.plan(snapshot, charts)
        return plan, self.history.changes(plan)

    async def _charts(self, snapshot: Snapshot) -> tuple[ChartSet, InRepoCharts]:
        wanted = oci_charts_wanted(snapshot.index)
        oci = None
        if wanted and self._oci is not None:
            oci = await self._oci.resolve(wanted)
        in_repo = InRepoCharts(
            snapshot.tree, snapshot.load.entries, self._limits, kept_bytes=KEPT_CHART_BYTES
        )

        def resolve() -> ChartSet:
            charts, _ = resolve_charts(snapshot.index, in_repo, oci if wanted else {})
            return charts

        return await asyncio.to_thread(resolve), in_repo

    def _tags_moved(self, changes: list[TagChange]) -> None:
        logger.warning("%d chart tag(s) moved: planning the served revision again", len(changes))
        task = asyncio.get_running_loop().create_task(self.replan())
        self._replans.add(task)
        task.add_done_callback(self._replans.discard)


def _problems_text(problems: dict[str, int]) -> str:
    """`2 releases with problems: chart-unavailable 2`, or `no release problems`."""
    if not problems:
        return "no release problems"
    total = sum(problems.values())
    listed = ", ".join(f"{code} {count}" for code, count in problems.items())
    return f"{total} release{'s' * (total != 1)} with problems: {listed}"

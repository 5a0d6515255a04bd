"""From a decision to the instruction an agent runs, and the deploy record that tracks it.

Ids come from `instruction_id(environment, release, attempt key, attempt)`: the same attempt
always has the same id (the agent answers a repeat from its memory), a new attempt a new one.
Charts go out pinned by digest (docs/charts.md): an oci:// chart as its registry address and
manifest digest; an in-repo chart wherever the `ChartLocator` publishes it for agents.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fasit.agents import Action, Instruction, instruction_id
from fasit.charts import ResolvedChart
from fasit.errors import RetryableError
from fasit.model import parse_oci_chart
from fasit.plan import DesiredRelease
from fasit.reconcile.decisions import Decision
from fasit.reconcile.deploys import Deploy, DeployState, attempt_key

__all__ = [
    "UNINSTALL_TIMEOUT",
    "ChartLocator",
    "ChartNotPublished",
    "ChartReference",
    "build_instruction",
    "decision_instruction_id",
    "deploy_of",
]

UNINSTALL_TIMEOUT = 300.0
"""Seconds helm may take to uninstall a release (orphans have no Feature.yaml timeout)."""


@dataclass(frozen=True, slots=True)
class ChartReference:
    ref: str
    """An oci:// reference without tag, or an address the agent fetches the archive from."""
    digest: str


class ChartNotPublished(RetryableError):
    """An in-repo chart cannot be handed to agents (no publisher, or packaging failed)."""


InRepoPublisher = Callable[[ResolvedChart], Awaitable[ChartReference]]
"""Publishes an in-repo chart for agents; a coroutine, as packaging reads the tree (off the
event loop: a git tree waits for a fetch under way)."""


class ChartLocator:
    """Where agents get a chart: the registry for oci://, `publish` for in-repo charts."""

    def __init__(self, publish: InRepoPublisher | None = None) -> None:
        self._publish = publish

    async def locate(self, release: DesiredRelease) -> ChartReference:
        chart = release.chart
        if chart is None:
            raise ChartNotPublished(f"{release.feature_name} {release.version} has no chart")
        source = release.feature.model.chart
        if release.feature.model.is_oci:
            return ChartReference(parse_oci_chart(source).url, chart.digest)
        if self._publish is None:
            raise ChartNotPublished(
                f"{source}/{release.version} is an in-repo chart and nothing publishes in-repo "
                "charts to agents here (fasit serve does)"
            )
        return await self._publish(chart)


async def build_instruction(
    decision: Decision, release: DesiredRelease | None, locator: ChartLocator
) -> Instruction:
    """The instruction for a deploy (with its release) or an uninstall (release None)."""
    ident = decision_instruction_id(decision)
    if decision.action is Action.UNINSTALL or release is None:
        return Instruction(
            ident,
            decision.feature,
            decision.namespace,
            "",
            decision.version,
            {},
            decision.release_hash,
            UNINSTALL_TIMEOUT,
            action=Action.UNINSTALL,
        )
    chart = await locator.locate(release)
    return Instruction(
        ident,
        decision.feature,
        release.namespace,
        chart.ref,
        decision.version,
        release.values,
        decision.release_hash,
        float(release.timeout_seconds),
        chart.digest,
    )


def decision_instruction_id(decision: Decision) -> str:
    """The id of the instruction a deploy or uninstall decision sends."""
    key = attempt_key(decision.action, decision.release_hash)
    return instruction_id(decision.environment, decision.feature, key, decision.attempt)


def deploy_of(
    decision: Decision,
    namespace: str,
    timeout: float,
    revision: str,
    session_id: str,
    now: datetime,
) -> Deploy:
    """The deploy record of the decision's instruction, sent now; due `timeout` s from now."""
    return Deploy(
        decision_instruction_id(decision),
        decision.environment,
        decision.feature,
        decision.action,
        decision.version,
        decision.release_hash,
        revision,
        decision.attempt,
        DeployState.SENT,
        now,
        now,
        now + timedelta(seconds=timeout),
        namespace,
        session_id,
        from_version=decision.from_version,
    )

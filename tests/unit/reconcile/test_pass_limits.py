"""What a fleet of passes sends, in fake time: only the delta of a new revision, one redeploy
per redeploy token, a dependent after its dependency, never an unregistered orphan, no more
than the fleet cap, and nothing past an open circuit. Agents answer at once; the clock stands
still, so no retry comes due and every pass after the last send must send nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from fasit.agents import Outcome, ReleaseState
from fasit.reconcile import Limits, Reason
from tests import states
from tests.states import basic_state
from tests.unit.reconcile.passes import QUIET, Passes
from tests.unit.reconcile.support import NOW


@pytest.fixture
async def new_passes(tmp_path: Path) -> AsyncIterator[Callable[[Limits], Passes]]:
    opened: list[Passes] = []

    def new(limits: Limits) -> Passes:
        passes = Passes(tmp_path, replace(QUIET, limits=limits))
        opened.append(passes)
        return passes

    yield new
    for passes in opened:
        await passes.close()


async def sent_per_pass(passes: Passes, count: int, outcome: Outcome) -> list[list[str]]:
    """`count` passes, what each sent (sorted); every agent answers with `outcome` at once."""
    timeline = []
    for _ in range(count):
        sent = await passes.run()
        passes.answer(sent, outcome, "simulated failure")
        timeline.append(sorted(f"{environment} {i.release}" for environment, i in sent))
    return timeline


def hundred_features(bumped: str | None = None) -> list[dict[str, str]]:
    """100 features everywhere at 1.0.0; fleet/e2 pinned to 1.0.0 by a narrower assignment."""
    parts = [states.environment("fleet", f"e{i}") for i in range(3)]
    for name in (f"f{i:03}" for i in range(100)):
        version = "1.1.0" if name == bumped else "1.0.0"
        parts += [
            states.feature(name),
            states.chart(name, "1.0.0"),
            states.chart(name, version),
            states.assignment(name, version, {}),
        ]
    if bumped is not None:
        parts.append(states.assignment(bumped, "1.0.0", {"env": "e2"}))
    return parts


async def test_a_pass_after_bumping_one_of_100_features_sends_only_the_delta(
    new_passes: Callable[[Limits], Passes],
) -> None:
    passes = new_passes(Limits(per_environment=100, fleet=300))
    await passes.open()
    passes.connect("fleet/e0", "fleet/e1", "fleet/e2")
    passes.publish(*hundred_features())
    first = await sent_per_pass(passes, 2, Outcome.DEPLOYED)

    passes.publish(*hundred_features(bumped="f042"))
    second = await sent_per_pass(passes, 2, Outcome.DEPLOYED)

    assert [len(sent) for sent in first] == [300, 0]
    assert second == [["fleet/e0 f042", "fleet/e1 f042"], []]


async def test_a_changed_redeploy_token_forces_exactly_one_redeploy(
    new_passes: Callable[[Limits], Passes],
) -> None:
    passes = new_passes(Limits())
    await passes.open()
    passes.connect("nav/dev")
    passes.publish(*basic_state())
    first = await sent_per_pass(passes, 2, Outcome.DEPLOYED)

    passes.publish(
        *basic_state()[:-1], states.assignment("web", "1.0.0", {}, redeploy="2026-11-21")
    )
    second = await sent_per_pass(passes, 3, Outcome.DEPLOYED)

    assert first == [["nav/dev web"], []]
    assert second == [["nav/dev web"], [], []]


async def test_a_dependent_is_sent_once_its_dependency_reports_deployed(
    new_passes: Callable[[Limits], Passes],
) -> None:
    passes = new_passes(Limits())
    await passes.open()
    passes.connect("nav/dev")
    passes.publish(
        states.environment("nav", "dev"),
        states.feature("crds"),
        states.feature("monitoring"),
        states.chart("crds", "1.0.0"),
        states.chart("monitoring", "1.0.0", dependencies=[{"allOf": ["crds"]}]),
        states.assignment("crds", "1.0.0", {}),
        states.assignment("monitoring", "1.0.0", {}),
    )
    [crds] = await passes.run()
    waiting = await passes.run()
    reason = passes.reason("nav/dev", "monitoring")

    passes.answer([crds], Outcome.DEPLOYED)
    after = await passes.run()

    assert (crds[1].release, waiting, reason) == ("crds", [], Reason.WAITING_DEPENDENCY)
    assert [instruction.release for _, instruction in after] == ["monitoring"]


async def test_a_release_whose_feature_is_unregistered_is_never_pruned(
    new_passes: Callable[[Limits], Passes],
) -> None:
    passes = new_passes(Limits())
    await passes.open()
    legacy = ReleaseState("legacy", "legacy", "legacy", "1.0.0", "sha256:old", "deployed", 1, NOW)
    passes.connect("nav/dev", running=(legacy,))
    passes.publish(
        states.environment("nav", "dev"),
        states.feature("web", prune=True),
        states.chart("web", "1.0.0"),
        states.assignment("web", "1.0.0", {}),
    )

    timeline = await sent_per_pass(passes, 3, Outcome.DEPLOYED)

    assert timeline == [["nav/dev web"], [], []]
    assert passes.decision("nav/dev", "legacy").message == (
        "no Feature legacy is registered: an unknown feature is never pruned"
    )


async def test_the_fleet_cap_holds_until_an_instruction_finishes(
    new_passes: Callable[[Limits], Passes],
) -> None:
    passes = new_passes(Limits(fleet=3))
    await passes.open()
    environments = [f"fleet/e{i}" for i in range(10)]
    passes.connect(*environments)
    passes.publish(*states.web_everywhere(10))

    timeline = [sorted(e for e, _ in await passes.run()) for _ in range(3)]
    held = passes.decision("fleet/e9")  # the limits take environments in sorted order
    await passes.store.flush()
    held_log = [r.reason for r in await passes.store.decisions("fleet/e9", "web")]
    passes.answer(passes.agents.sent[:1])
    after = [e for e, _ in await passes.run()]

    assert timeline == [["fleet/e0", "fleet/e1", "fleet/e2"], [], []]
    assert held.reason is Reason.QUEUED
    assert held.message.endswith("held: fleet cap: 3 instructions in flight")
    assert Reason.DEPLOY not in held_log
    assert after == ["fleet/e3"]


async def test_the_circuit_breaker_stops_a_failing_rollout_after_k_environments(
    new_passes: Callable[[Limits], Passes],
) -> None:
    passes = new_passes(Limits(per_environment=1, fleet=1, circuit_threshold=3))
    await passes.open()
    passes.connect(*(f"fleet/e{i}" for i in range(5)))
    passes.publish(*states.web_everywhere(5))

    timeline = await sent_per_pass(passes, 5, Outcome.FAILED)

    assert timeline == [["fleet/e0 web"], ["fleet/e1 web"], ["fleet/e2 web"], [], []]
    held = passes.decision("fleet/e3")
    assert held.reason is Reason.CIRCUIT_OPEN
    assert held.message.startswith("circuit open: web 1.0.0 failed in 3 environments")
    assert "fleet/e0: simulated failure" in held.message

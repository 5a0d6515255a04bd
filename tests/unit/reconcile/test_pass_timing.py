"""When passes send, pass by pass in fake time: a failure is tried again at its backoff's due
time and not before, an instruction without a result fails at its deadline, an instruction the
hub could not queue goes again after `resend_after`. Each spec is a timeline: when a pass ran,
how many instructions it sent, what it decided, and when it said to look again (seconds)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fasit.agents import Delivery, Outcome
from fasit.backoff import Backoff
from fasit.reconcile import DeployState, Reason
from tests.states import basic_state
from tests.unit.reconcile.passes import QUIET, Passes
from tests.unit.reconcile.support import NOW

ENV = "nav/dev"
RETRY = Backoff(initial=60.0, maximum=600.0, jitter=0.0, attempts=3)
Row = tuple[float, int, Reason, float | None]


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def since(moment: datetime | None) -> float | None:
    return None if moment is None else (moment - NOW).total_seconds()


@pytest.fixture
async def passes(tmp_path: Path) -> AsyncIterator[Passes]:
    running = Passes(tmp_path, replace(QUIET, retry=RETRY))
    await running.open()
    running.connect(ENV)
    running.publish(*basic_state())
    try:
        yield running
    finally:
        await running.close()


async def step(passes: Passes, seconds: float, outcome: Outcome | None) -> Row:
    """A pass at `seconds`; the agent acks what it sent and, unless None, reports `outcome`."""
    passes.clock.to(at(seconds))
    sent = await passes.run()
    for environment, instruction in sent:
        passes.take(passes.agents.acked(environment, instruction))
    if outcome is not None:
        passes.answer(sent, outcome, "boom")
    return (seconds, len(sent), passes.reason(ENV), since(passes.due))


async def test_a_failing_deploy_is_tried_again_at_each_due_time_and_never_before(
    passes: Passes,
) -> None:
    times = (0, 0, 59, 60, 60, 179, 180, 180, 3600)
    timeline = [await step(passes, seconds, Outcome.FAILED) for seconds in times]

    assert timeline == [
        (0, 1, Reason.DEPLOY, 360),  # due: the deadline of the instruction in flight
        (0, 0, Reason.BACKOFF, 60),  # failed at 0: attempt 2 is due 60 s later
        (59, 0, Reason.BACKOFF, 60),
        (60, 1, Reason.DEPLOY, 420),
        (60, 0, Reason.BACKOFF, 180),  # failed twice: 120 s more
        (179, 0, Reason.BACKOFF, 180),
        (180, 1, Reason.DEPLOY, 540),
        (180, 0, Reason.BACKOFF, None),  # attempts used up: nothing is due any more
        (3600, 0, Reason.BACKOFF, None),
    ]


async def test_past_its_attempts_a_failing_deploy_gives_up_until_the_hash_changes(
    passes: Passes,
) -> None:
    for seconds in (0, 0, 60, 60, 180, 180):
        await step(passes, seconds, Outcome.FAILED)

    assert passes.decision(ENV).message == (
        "failed 3 times, gave up (last: boom); "
        "a new release hash (a change, or a redeploy token) tries again"
    )


async def test_an_instruction_without_a_result_fails_at_its_deadline_and_is_tried_again(
    passes: Passes,
) -> None:
    times = (0, 359, 360, 419, 420)
    timeline = [await step(passes, seconds, None) for seconds in times]

    assert timeline == [
        (0, 1, Reason.DEPLOY, 360),  # helm's 300 s and the 60 s margin
        (359, 0, Reason.IN_PROGRESS, 360),
        (360, 0, Reason.BACKOFF, 420),
        (419, 0, Reason.BACKOFF, 420),
        (420, 1, Reason.DEPLOY, 780),
    ]
    assert (
        passes.decision(ENV).message == "retrying 1.0.0 (attempt 2) after: no result within 360 s"
    )


async def test_a_result_after_the_deadline_still_counts(passes: Passes) -> None:
    [(environment, instruction)] = [*await passes.run()]
    passes.clock.to(at(360))
    await passes.run()

    passes.take(passes.agents.finished(environment, instruction, Outcome.DEPLOYED))
    passes.clock.to(at(420))
    sent = await passes.run()
    await passes.store.flush()

    assert sent == []
    assert passes.reason(ENV) is Reason.UNCHANGED
    states = [d.state for d in reversed(await passes.store.deploys(ENV, "web"))]
    assert states == [DeployState.SENT, DeployState.FAILED, DeployState.DEPLOYED]


async def test_an_instruction_the_hub_could_not_queue_goes_again_after_resend_after(
    passes: Passes,
) -> None:
    passes.agents.refusing[ENV] = Delivery.OUTBOX_FULL
    refused = await step(passes, 0, None)
    del passes.agents.refusing[ENV]
    again = await step(passes, 1, None)

    assert (refused, again) == (
        (0, 0, Reason.DEPLOY, 1.0),  # QUIET's resend_after
        (1, 1, Reason.DEPLOY, 361),
    )
    [(_, first, _)] = passes.agents.refused
    [(_, second)] = passes.agents.sent
    assert second.id == first.id

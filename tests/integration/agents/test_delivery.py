"""Delivery over real gRPC: ack → progress → result, once per id, across cuts and restarts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fasit.agents import (
    AgentConnected,
    AgentHub,
    Delivery,
    HubConfig,
    InstructionAcked,
    LogKind,
    Outcome,
    ProgressReported,
    ResultReported,
    TokenFile,
)
from naisd import ResultStore
from tests.integration.agents.conftest import AgentFactory
from tests.integration.agents.support import EventLog, GatedExecutor, make_instruction
from tests.integration.waiting import eventually


async def test_an_instruction_is_acked_then_reports_progress_then_its_result(
    hub: AgentHub, events: EventLog, start_agent: AgentFactory
) -> None:
    start_agent()
    await events.wait_for(AgentConnected, "the agent's hello")
    instruction = make_instruction()

    assert await hub.send("nav/prod", instruction) is Delivery.QUEUED
    result = await events.wait_for(ResultReported, "the result")

    about = [
        type(e).__name__
        for e in events.events
        if isinstance(e, InstructionAcked | ProgressReported | ResultReported)
    ]
    assert about[0] == "InstructionAcked"
    assert about[-1] == "ResultReported"
    assert set(about[1:-1]) == {"ProgressReported"}
    first_line = events.of(ProgressReported)[0].lines[0]
    assert first_line.kind is LogKind.STDOUT
    assert first_line.text.startswith("(fake) helm upgrade --install web")
    assert result.result.outcome is Outcome.DEPLOYED
    assert result.result.release is not None
    assert result.result.release.release_hash == instruction.release_hash


async def test_the_same_instruction_sent_again_runs_once_and_reports_once(
    hub: AgentHub, events: EventLog, start_agent: AgentFactory
) -> None:
    executor = GatedExecutor()
    start_agent(executor)
    await events.wait_for(AgentConnected, "the agent's hello")
    instruction = make_instruction()

    await hub.send("nav/prod", instruction)
    await executor.started.wait()
    await hub.send("nav/prod", instruction)  # while it runs
    executor.gate.set()
    await events.wait_for(ResultReported, "the result")
    await hub.send("nav/prod", instruction)  # after it finished
    await _barrier(hub, events)

    assert executor.runs.count(instruction.id) == 1
    assert len(events.results(instruction.id)) == 1
    assert [e.instruction_id for e in events.of(InstructionAcked)].count(instruction.id) == 3


async def test_a_result_finished_while_the_controller_was_down_arrives_once_when_sent_again(
    token_file: Path, hub_config: HubConfig, start_agent: AgentFactory, hub: AgentHub
) -> None:
    executor = GatedExecutor()
    async with EventLog(hub) as before:
        start_agent(executor)
        await before.wait_for(AgentConnected, "the agent's hello")
        instruction = make_instruction()
        await hub.send("nav/prod", instruction)
        await executor.started.wait()

        await hub.stop()  # the controller goes away mid-deploy
        executor.gate.set()
        await eventually(lambda: executor.inner.runs == [instruction.id], "the deploy to end")

    restarted = AgentHub(TokenFile(token_file), dataclasses.replace(hub_config, port=hub.port))
    async with restarted, EventLog(restarted) as after:
        await after.wait_for(AgentConnected, "the agent's reconnect")
        # The restarted hub takes results only for ids it sent there: the reconciler sends it
        # again, and the agent answers with the result it kept (helm does not run again).
        await restarted.send("nav/prod", instruction)
        await after.wait_for(ResultReported, "the result after reconnect")
        await _barrier(restarted, after)

        assert before.results(instruction.id) == []
        assert len(after.results(instruction.id)) == 1
        assert executor.runs.count(instruction.id) == 1


async def test_a_restarted_agent_answers_a_known_id_from_its_state_file(
    tmp_path: Path, hub: AgentHub, events: EventLog, start_agent: AgentFactory
) -> None:
    state = tmp_path / "naisd-state.json"
    first = GatedExecutor()
    first.gate.set()
    agent = start_agent(first, store=ResultStore(state))
    await events.wait_for(AgentConnected, "the first agent")
    instruction = make_instruction()
    await hub.send("nav/prod", instruction)
    await events.wait_for(ResultReported, "the first result")
    agent.stop()
    await eventually(lambda: not hub.connected(), "the first agent to leave")

    second = GatedExecutor()
    second.gate.set()
    start_agent(second, store=ResultStore(state))
    await eventually(lambda: hub.connected() == {"nav/prod"}, "the restarted agent")
    await hub.send("nav/prod", instruction)
    await _barrier(hub, events)

    assert instruction.id not in second.runs
    assert len(events.results(instruction.id)) == 1


async def _barrier(hub: AgentHub, events: EventLog) -> None:
    """Wait until the agent has answered everything sent before: one more instruction's result
    (the stream is ordered, so its result comes after all earlier answers)."""
    barrier = make_instruction("barrier", attempt=len(events.events))
    assert await hub.send("nav/prod", barrier) is Delivery.QUEUED
    await events.wait_for(
        ResultReported, "the barrier", lambda e: e.result.instruction_id == barrier.id
    )

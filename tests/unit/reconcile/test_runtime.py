"""Runtime: agent events and sends kept as run-time state, and the deploy rows they make."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from fasit.agents import (
    Action,
    AgentConnected,
    AgentDisconnected,
    AgentResult,
    InstructionAcked,
    Outcome,
    ReleaseState,
    ResultReported,
)
from fasit.reconcile import Deploy, DeployState, HashHistory, Runtime
from tests.unit.reconcile.support import ENV, NOW, SESSION

HASH = "sha256:h"


def sent(instruction_id: str = "id-1", attempt: int = 1, action: Action = Action.INSTALL) -> Deploy:
    return Deploy(
        instruction_id,
        ENV,
        "web",
        action,
        "1.0.0",
        HASH,
        "rev-1",
        attempt,
        DeployState.SENT,
        NOW,
        NOW,
        NOW + timedelta(seconds=60),
        "web",
        SESSION,
    )


def running() -> ReleaseState:
    return ReleaseState("web", "web", "web", "1.0.0", HASH, "deployed", 1, NOW)


def result(
    instruction_id: str = "id-1", outcome: Outcome = Outcome.DEPLOYED, error: str = ""
) -> ResultReported:
    release = running() if outcome is Outcome.DEPLOYED else None
    return ResultReported(
        ENV, SESSION, NOW, AgentResult(instruction_id, outcome, error, release, NOW)
    )


def connected(runtime: Runtime, session: str = SESSION) -> None:
    runtime.connected(AgentConnected(ENV, session, NOW, "1.0", (), "", "127.0.0.1"))


def test_an_ack_moves_an_install_to_installing_and_an_uninstall_to_uninstalling() -> None:
    runtime = Runtime()
    runtime.sent(sent("install"))
    runtime.sent(replace(sent("remove", action=Action.UNINSTALL), feature="cache"))

    install = runtime.acked(InstructionAcked(ENV, SESSION, NOW, "install"))
    uninstall = runtime.acked(InstructionAcked(ENV, SESSION, NOW, "remove"))

    assert install is not None
    assert uninstall is not None
    assert (install.state, uninstall.state) == (DeployState.INSTALLING, DeployState.UNINSTALLING)


def test_a_result_finishes_its_instruction_and_updates_what_runs() -> None:
    runtime = Runtime()
    connected(runtime)
    runtime.sent(sent())

    finished = runtime.result(result())

    assert finished is not None
    assert finished.state is DeployState.DEPLOYED
    environment = runtime.environment(ENV)
    assert environment.in_flight == {}
    assert environment.releases["web"] == running()


def test_a_repeated_result_changes_nothing() -> None:
    runtime = Runtime()
    runtime.sent(sent())
    runtime.result(result())

    assert runtime.result(result(outcome=Outcome.FAILED, error="late copy")) is None
    assert runtime.environment(ENV).latest["web"].state is DeployState.DEPLOYED


def test_a_result_for_an_unknown_instruction_only_updates_what_runs() -> None:
    runtime = Runtime()
    connected(runtime)

    assert runtime.result(result("never-sent")) is None
    assert runtime.environment(ENV).releases["web"] == running()
    assert runtime.environment(ENV).latest == {}


def test_an_instruction_past_its_deadline_fails_as_timed_out() -> None:
    runtime = Runtime()
    runtime.sent(sent())

    expired = runtime.expire(NOW + timedelta(seconds=61))

    assert [(d.state, d.error, d.timed_out) for d in expired] == [
        (DeployState.FAILED, "no result within 60 s", True)
    ]
    assert runtime.environment(ENV).history[("web", HASH)].failures == 1


def test_a_late_success_after_a_timeout_clears_the_failure() -> None:
    runtime = Runtime()
    runtime.sent(sent())
    runtime.expire(NOW + timedelta(seconds=61))

    late = runtime.result(result())

    assert late is not None
    assert late.state is DeployState.DEPLOYED
    assert runtime.environment(ENV).history[("web", HASH)].failures == 0
    assert runtime.failed == {}


def test_a_late_failure_after_a_timeout_counts_once() -> None:
    runtime = Runtime()
    runtime.sent(sent())
    runtime.expire(NOW + timedelta(seconds=61))

    runtime.result(result(outcome=Outcome.FAILED, error="helm: boom"))

    assert runtime.environment(ENV).history[("web", HASH)].failures == 1


def test_a_new_instruction_supersedes_an_unacknowledged_one_of_the_same_release() -> None:
    runtime = Runtime()
    runtime.sent(sent("old"))

    changed = runtime.sent(replace(sent("new"), release_hash="sha256:other"))

    assert [(d.instruction_id, d.state) for d in changed] == [
        ("old", DeployState.FAILED),
        ("new", DeployState.SENT),
    ]
    assert changed[0].error == "superseded by new: never acknowledged"


def test_a_replaced_session_ending_leaves_the_live_one_connected() -> None:
    runtime = Runtime()
    connected(runtime, "old")
    connected(runtime, "new")

    runtime.disconnected(AgentDisconnected(ENV, "old", NOW, "replaced", replaced=True))

    agent = runtime.environment(ENV).agent
    assert agent is not None
    assert (agent.connected, agent.session_id) == (True, "new")


def test_restoring_the_deploy_log_counts_attempts_and_consecutive_failures() -> None:
    runtime = Runtime()
    failed = replace(sent("a1"), state=DeployState.FAILED, error="boom")
    again = replace(sent("a2", attempt=2), state=DeployState.FAILED, error="boom again")
    retrying = replace(sent("a3", attempt=3), state=DeployState.INSTALLING)

    runtime.restore([failed, again, retrying])

    environment = runtime.environment(ENV)
    assert environment.history[("web", HASH)] == HashHistory(3, 2, again.updated_at, "boom again")
    assert environment.in_flight == {"web": retrying}
    assert runtime.deploy("a3") == retrying

"""Decisions: what to do about each release of one environment, and why (DESIGN.md §4).

`decide_environment` is pure: desired releases and what is known of the environment (its
agent, what runs, what is in flight, earlier attempts, open circuits) in, one `Decision` per
release out. The rungs are tried in this order and the first that holds wins:

    disabled, kind-mismatch, missing-dependency, chart-unavailable, render-error,
    missing-config, values-invalid (the planner's verdicts), agent-offline, in-progress,
    waiting-dependency, backoff, unchanged, circuit-open, deploy

Circuit-open comes after unchanged (DESIGN.md lists it before): it stops sending a rollout to
more environments, and one that already runs it is not "more". Nor does it hold back a retry
where the rollout already failed; backoff paces those.

For a release fasit manages that nothing desires: in-progress, orphan (also when the agent
is away: nothing is sent), protected or uninstall. Limits that span environments are applied
afterwards: the prune budget (`prune_budget.py`) turns uninstalls beyond it into
`prune-refused`, and `limits.py` (one instruction at a time per environment, the fleet cap)
turns some sends into `queued`; before them, the wave rule (`waves.py`) turns deploys that
a Rollout's waves or a pause hold back into `waiting-wave`, `halted` or `paused`.
"""

from __future__ import annotations

from datetime import datetime

from fasit.agents import Action, ReleaseState
from fasit.plan import DesiredRelease, ReleaseStatus
from fasit.reconcile.decision_inputs import (
    AgentView,
    Circuit,
    Decision,
    EnvironmentView,
    Reason,
    RolloutKey,
)
from fasit.reconcile.deploys import (
    Deploy,
    DeployState,
    HashHistory,
    attempt_key,
    change_summary,
)

__all__ = [
    "AgentView",
    "Circuit",
    "Decision",
    "EnvironmentView",
    "Reason",
    "RolloutKey",
    "decide_environment",
    "planner_reason",
]


def planner_reason(status: ReleaseStatus) -> Reason | None:
    """The decision a planner verdict is (the same word), or None for `planned`.

    A new `ReleaseStatus` without its `Reason` fails here, loudly, at its first release.
    """
    return None if status is ReleaseStatus.PLANNED else Reason(status.value)


def decide_environment(view: EnvironmentView) -> list[Decision]:
    """One decision per desired release (by feature), then one per orphan (by name)."""
    decisions = [_decide_desired(view, release) for _, release in sorted(view.desired.items())]
    decisions.extend(_decide_orphans(view))
    return decisions


def _decide_desired(view: EnvironmentView, release: DesiredRelease) -> Decision:
    env, feature = view.environment, release.feature_name
    version = release.version
    verdict = planner_reason(release.status)
    if verdict is not None:
        return Decision(env, feature, verdict, release.message, version)
    release_hash = release.release_hash or ""

    running = _running(view, feature)
    running_version = "" if running is None else running.version

    def decision(
        reason: Reason, message: str, attempt: int = 0, due: datetime | None = None
    ) -> Decision:
        return Decision(
            env,
            feature,
            reason,
            message,
            version,
            release_hash,
            attempt,
            due=due,
            from_version=running_version,
        )

    offline = _offline_message(view)
    if offline is not None:
        return decision(Reason.AGENT_OFFLINE, offline)
    flight = view.in_flight.get(feature)
    if flight is not None and _still_delivered(flight, view):
        return decision(Reason.IN_PROGRESS, _in_progress_message(flight), due=flight.deadline)
    waiting = [dep for dep in release.depends_on if not _deployed_here(view, dep)]
    if waiting:
        return decision(Reason.WAITING_DEPENDENCY, f"waiting for {', '.join(waiting)} to deploy")
    history = view.history.get((feature, release_hash), HashHistory())
    rung = _retry_rung(view, flight, release_hash, history, Reason.DEPLOY)
    if rung is not None:
        return decision(*rung)
    if running is not None and _runs(running, release_hash):
        return decision(Reason.UNCHANGED, f"running {running.version} at the desired hash")
    circuit = view.circuits.get((feature, version, release.digest or ""))
    if circuit is not None and not history.failures:
        return decision(Reason.CIRCUIT_OPEN, circuit.message)
    return decision(
        Reason.DEPLOY,
        _deploy_message(running, version, release_hash, history),
        attempt=history.attempts + 1,
    )


def _decide_orphans(view: EnvironmentView) -> list[Decision]:
    agent = view.agent
    if agent is None or agent.releases is None:
        return []
    orphans = [
        state
        for name, state in sorted(agent.releases.items())
        if state.release_hash and name not in view.desired
    ]
    prunable = view.features & view.prune if view.known and agent.connected else frozenset()
    return [_decide_orphan(view, state, state.name in prunable) for state in orphans]


def _decide_orphan(view: EnvironmentView, state: ReleaseState, candidate: bool) -> Decision:
    env = view.environment

    def decision(
        reason: Reason, message: str, attempt: int = 0, due: datetime | None = None
    ) -> Decision:
        return Decision(
            env,
            state.name,
            reason,
            message,
            state.version,
            state.release_hash,
            attempt,
            state.namespace,
            due,
        )

    flight = view.in_flight.get(state.name)
    if flight is not None and _still_delivered(flight, view):
        return decision(Reason.IN_PROGRESS, _in_progress_message(flight), due=flight.deadline)
    if view.known and state.name in view.features & view.protected:
        return decision(
            Reason.PROTECTED,
            f"no assignment reaches {env}; {state.name} has protected: true and is never "
            "uninstalled",
        )
    if not candidate:
        return decision(Reason.ORPHAN, _orphan_message(view, state))
    key = attempt_key(Action.UNINSTALL, state.release_hash)
    history = view.history.get((state.name, key), HashHistory())
    rung = _retry_rung(view, flight, key, history, Reason.UNINSTALL)
    if rung is not None:
        return decision(*rung)
    return decision(
        Reason.UNINSTALL,
        f"no assignment reaches {env} and {state.name} has prune: true",
        attempt=history.attempts + 1,
    )


_RETRY_WORDS = {
    Reason.DEPLOY: ("failed", "a new release hash (a change, or a redeploy token)"),
    Reason.UNINSTALL: ("uninstall failed", "a new release hash of the running release"),
}
"""Per kind of send: what failed, and what makes it try again once it gave up."""

Rung = tuple[Reason, str, int, datetime | None]
"""What a rung decides: reason, message, attempt and due time (the `decision` arguments)."""


def _retry_rung(
    view: EnvironmentView, flight: Deploy | None, key: str, history: HashHistory, send: Reason
) -> Rung | None:
    """The resend and backoff rungs of a send (`send`: deploy or uninstall) of attempt `key`.

    An instruction queued for a session that ended before the agent acknowledged it goes
    again with the same id, so an agent that did receive it answers with its result instead
    of running twice. A failed one waits for its backoff, and past the last attempt it gave
    up until the key (the release hash) changes. None: neither rung holds.
    """
    if flight is not None and flight.attempt_key == key:
        message = f"resending {flight.instruction_id}: not acknowledged before the stream ended"
        return send, message, flight.attempt, None
    if not history.failures or history.last_failed_at is None:
        return None
    what, again = _RETRY_WORDS[send]
    retry_at = view.retry.next_attempt(history.failures, history.last_failed_at)
    if retry_at is None:
        message = (
            f"{what} {history.failures} times, gave up (last: {history.last_error}); "
            f"{again} tries again"
        )
        return Reason.BACKOFF, message, 0, None
    if view.now < retry_at:
        times = f"{history.failures} time{'s' if history.failures > 1 else ''}"
        message = f"{what} {times} (last: {history.last_error}); next attempt at {_stamp(retry_at)}"
        return Reason.BACKOFF, message, 0, retry_at
    return None


def _orphan_message(view: EnvironmentView, state: ReleaseState) -> str:
    if not view.known:
        return (
            f"{view.environment} is not reconciled (absent from the state repository, or "
            "reconcile: false): nothing is uninstalled"
        )
    if state.name not in view.features:
        return f"no Feature {state.name} is registered: an unknown feature is never pruned"
    if state.name not in view.prune:
        return f"no assignment reaches {view.environment}; {state.name} has prune: false"
    return f"no assignment reaches {view.environment}; waiting for its agent to uninstall"


def _offline_message(view: EnvironmentView) -> str | None:
    agent = view.agent
    if agent is None:
        return f"no agent has connected for {view.environment}"
    if not agent.connected:
        seen = "" if agent.last_seen is None else f" (last seen {_stamp(agent.last_seen)})"
        return f"the agent of {view.environment} is not connected{seen}"
    if agent.releases is None:
        return f"the agent of {view.environment} cannot list its releases: {agent.inventory_error}"
    return None


def _still_delivered(flight: Deploy, view: EnvironmentView) -> bool:
    """In flight for real: acknowledged, or queued for the session that is still live."""
    if flight.state is not DeployState.SENT:
        return True
    agent = view.agent
    return agent is not None and agent.connected and agent.session_id == flight.session_id


def _in_progress_message(flight: Deploy) -> str:
    # Not the state (sent, installing): the deploy log and the ladder show it, and an ack
    # must not make a new decision row.
    verb = "uninstall" if flight.action is Action.UNINSTALL else f"deploy of {flight.version}"
    return f"{verb} in flight ({flight.instruction_id}, attempt {flight.attempt})"


def _running(view: EnvironmentView, feature: str) -> ReleaseState | None:
    agent = view.agent
    if agent is None or agent.releases is None:
        return None
    return agent.releases.get(feature)


def _runs(state: ReleaseState, release_hash: str) -> bool:
    return state.release_hash == release_hash and state.status == "deployed"


def _deployed_here(view: EnvironmentView, feature: str) -> bool:
    """A dependency counts once its desired release runs (its decision would be unchanged)."""
    wanted = view.desired.get(feature)
    running = _running(view, feature)
    if wanted is None or running is None or feature in view.in_flight:
        return False
    return _runs(running, wanted.release_hash or "")


def _deploy_message(
    running: ReleaseState | None, version: str, release_hash: str, history: HashHistory
) -> str:
    if history.failures:
        return f"retrying {version} (attempt {history.attempts + 1}) after: {history.last_error}"
    if running is None:
        return change_summary(Action.INSTALL, "", version)
    if running.status != "deployed":
        return f"{running.version} is {running.status}: deploy {version}"
    if not running.release_hash:
        return f"adopt {running.name} {running.version} (not deployed by fasit): deploy {version}"
    if running.version != version:
        return change_summary(Action.INSTALL, running.version, version)
    if running.release_hash != release_hash:
        return f"{version} runs with another release hash (a change, a redeploy token, or drift)"
    return f"deploy {version}"


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")

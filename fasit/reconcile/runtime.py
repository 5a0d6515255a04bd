"""What the reconciler knows of the fleet at run time, kept current by agent events.

Per environment: its agent (connected, session, what runs), unfinished instructions, the
latest instruction per feature, and the attempts per release hash. Every change bumps the
environment's `version`, which is how a pass knows which environments to decide again.
Methods return the deploy records they changed, for the status store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from fasit.agents import (
    Action,
    AgentConnected,
    AgentDisconnected,
    HeartbeatReceived,
    InstructionAcked,
    InventoryReported,
    Outcome,
    ReleaseState,
    ResultReported,
)
from fasit.reconcile.decisions import AgentView
from fasit.reconcile.deploys import Deploy, DeployState, HashHistory
from fasit.reconcile.prune_budget import UninstallKey

__all__ = ["EnvironmentRuntime", "Runtime"]

logger = logging.getLogger(__name__)

_FINAL = {
    Outcome.DEPLOYED: DeployState.DEPLOYED,
    Outcome.FAILED: DeployState.FAILED,
    Outcome.UNINSTALLED: DeployState.UNINSTALLED,
}


@dataclass(slots=True)
class EnvironmentRuntime:
    agent: AgentView | None = None
    releases: dict[str, ReleaseState] = field(default_factory=dict)
    in_flight: dict[str, Deploy] = field(default_factory=dict)
    latest: dict[str, Deploy] = field(default_factory=dict)
    history: dict[tuple[str, str], HashHistory] = field(default_factory=dict)
    deployed_at: dict[str, datetime] = field(default_factory=dict)
    """When each feature last finished deploying (what people call "last deployed")."""
    version: int = 0

    def agent_view(self) -> AgentView | None:
        """The agent with what runs (unknown while its inventory reports an error)."""
        agent = self.agent
        if agent is None:
            return None
        return replace(agent, releases=None if agent.inventory_error else self.releases)


class Runtime:
    """The fleet's run-time state; one per reconciler, touched only from its event loop."""

    def __init__(self) -> None:
        self.environments: dict[str, EnvironmentRuntime] = {}
        self.failed: dict[tuple[str, str], Deploy] = {}
        """Pairs whose latest instruction failed (what the circuit breaker counts)."""
        self._by_id: dict[str, Deploy] = {}
        self._uninstalls: dict[UninstallKey, datetime] = {}
        """The latest send of each uninstall (what the prune budget counts)."""

    def environment(self, name: str) -> EnvironmentRuntime:
        found = self.environments.get(name)
        if found is None:
            found = self.environments[name] = EnvironmentRuntime()
        return found

    def in_flight_counts(self) -> dict[str, int]:
        environments = self.environments.items()
        return {name: len(env.in_flight) for name, env in environments if env.in_flight}

    def next_deadline(self) -> datetime | None:
        """The earliest deadline of an unfinished instruction."""
        deadlines = [
            deploy.deadline
            for env in self.environments.values()
            for deploy in env.in_flight.values()
        ]
        return min(deadlines, default=None)

    def uninstalls_since(self, since: datetime) -> dict[UninstallKey, datetime]:
        """The uninstalls sent after `since`; older ones are forgotten."""
        self._uninstalls = {key: at for key, at in self._uninstalls.items() if at > since}
        return self._uninstalls

    def managed(self, uninstalled: Iterable[UninstallKey]) -> set[tuple[str, str]]:
        """The (environment, release) pairs fasit manages here: those it runs and those
        `uninstalled`."""
        pairs = {(environment, feature) for environment, feature, _ in uninstalled}
        for name, env in self.environments.items():
            pairs.update(
                (name, release) for release, state in env.releases.items() if state.release_hash
            )
        return pairs

    def deploy(self, instruction_id: str) -> Deploy | None:
        return self._by_id.get(instruction_id)

    # -- restoring from the status store ---------------------------------------------------------

    def restore(self, deploys: Iterable[Deploy]) -> None:
        """Take back the deploy log's instructions (latest row of each id, oldest first)."""
        for deploy in deploys:
            env = self.environment(deploy.environment)
            env.latest[deploy.feature] = deploy
            self._note_failed(deploy)
            key = (deploy.feature, deploy.attempt_key)
            history = env.history.get(key, HashHistory()).sent(deploy.attempt)
            if deploy.state in (DeployState.DEPLOYED, DeployState.UNINSTALLED):
                history = history.finished(True, deploy.updated_at, "")
                if deploy.state is DeployState.DEPLOYED:
                    env.deployed_at[deploy.feature] = deploy.updated_at
            elif deploy.state is DeployState.FAILED:
                history = history.finished(False, deploy.updated_at, deploy.error)
            env.history[key] = history
            self._note_uninstall(deploy)
            if deploy.in_flight or deploy.timed_out:
                self._by_id[deploy.instruction_id] = deploy
            if deploy.in_flight:
                env.in_flight[deploy.feature] = deploy
            env.version += 1

    def forget(self, environment: str) -> None:
        """Drop an environment another replica owns now (restored again if it comes back)."""
        self.environments.pop(environment, None)
        self.failed = {pair: d for pair, d in self.failed.items() if pair[0] != environment}
        self._by_id = {i: d for i, d in self._by_id.items() if d.environment != environment}
        self._uninstalls = {k: at for k, at in self._uninstalls.items() if k[0] != environment}

    # -- what the reconciler did ---------------------------------------------------------------

    def sent(self, deploy: Deploy) -> list[Deploy]:
        """Record a queued instruction; returns it, and any unacknowledged one it supersedes."""
        env = self.environment(deploy.environment)
        changed = [deploy]
        previous = env.in_flight.get(deploy.feature)
        if previous is not None and previous.instruction_id != deploy.instruction_id:
            superseded = previous.moved(
                DeployState.FAILED,
                deploy.sent_at,
                f"superseded by {deploy.instruction_id}: never acknowledged",
            )
            self._by_id.pop(previous.instruction_id, None)
            changed.insert(0, superseded)
        env.in_flight[deploy.feature] = deploy
        env.latest[deploy.feature] = deploy
        self._note_failed(deploy)
        key = (deploy.feature, deploy.attempt_key)
        env.history[key] = env.history.get(key, HashHistory()).sent(deploy.attempt)
        self._note_uninstall(deploy)
        self._by_id[deploy.instruction_id] = deploy
        env.version += 1
        return changed

    def failed_to_send(self, deploy: Deploy, error: str) -> list[Deploy]:
        """An instruction the hub refused for good (too large): a failed attempt."""
        return [*self.sent(deploy), self._finish(deploy, DeployState.FAILED, deploy.sent_at, error)]

    def expire(self, now: datetime) -> list[Deploy]:
        """Fail unfinished instructions past their deadline; a late result still counts."""
        expired = [
            deploy
            for env in self.environments.values()
            for deploy in env.in_flight.values()
            if deploy.deadline <= now
        ]
        changed = []
        for deploy in expired:
            seconds = (deploy.deadline - deploy.sent_at).total_seconds()
            failed = self._finish(
                deploy, DeployState.FAILED, now, f"no result within {seconds:.0f} s"
            )
            failed = replace(failed, timed_out=True)
            self._by_id[deploy.instruction_id] = failed
            self._replace_latest(failed)
            changed.append(failed)
        return changed

    # -- what agents said ----------------------------------------------------------------------

    def connected(self, event: AgentConnected) -> None:
        env = self.environment(event.environment)
        env.agent = AgentView(True, event.session_id, None, event.inventory_error, event.at)
        env.releases = {state.name: state for state in event.releases}
        env.version += 1

    def disconnected(self, event: AgentDisconnected) -> None:
        env = self.environment(event.environment)
        agent = env.agent
        if agent is None or agent.session_id != event.session_id:
            return  # a replaced session ending: the live one stays
        env.agent = replace(agent, connected=False, last_seen=event.at)
        env.version += 1

    def heartbeat(self, event: HeartbeatReceived) -> None:
        """Seen alive; changes no decision, so the version stays."""
        env = self.environment(event.environment)
        agent = env.agent
        if agent is not None and agent.session_id == event.session_id:
            env.agent = replace(agent, last_seen=event.at)

    def inventory(self, event: InventoryReported) -> None:
        env = self.environment(event.environment)
        agent = env.agent
        if agent is None or agent.session_id != event.session_id:
            return
        env.agent = replace(agent, inventory_error=event.inventory_error, last_seen=event.at)
        env.releases = {state.name: state for state in event.releases}
        env.version += 1

    def acked(self, event: InstructionAcked) -> Deploy | None:
        deploy = self._by_id.get(event.instruction_id)
        if deploy is None or deploy.state is not DeployState.SENT:
            return None
        uninstall = deploy.action is Action.UNINSTALL
        state = DeployState.UNINSTALLING if uninstall else DeployState.INSTALLING
        moved = deploy.moved(state, event.at)
        self._by_id[moved.instruction_id] = moved
        env = self.environment(moved.environment)
        env.in_flight[moved.feature] = moved
        self._replace_latest(moved)
        env.version += 1
        return moved

    def result(self, event: ResultReported) -> Deploy | None:
        """Record a result; None for a repeated one (already final) or an unknown id."""
        result = event.result
        env = self.environment(event.environment)
        if result.release is not None:
            env.releases[result.release.name] = result.release
        deploy = self._by_id.get(result.instruction_id)
        if deploy is not None and deploy.environment != event.environment:
            deploy = None  # ids are per environment; another agent cannot finish it
        if deploy is None:
            logger.info(
                "result for an instruction this controller does not know (its records were "
                "pruned or never written); taken as inventory only",
                extra={"environment": event.environment, "instruction": result.instruction_id},
            )
            env.version += 1
            return None
        if deploy.action is Action.UNINSTALL and result.outcome is Outcome.UNINSTALLED:
            env.releases.pop(deploy.feature, None)
        finished = self._finish(deploy, _FINAL[result.outcome], result.finished, result.error)
        env.version += 1
        return finished

    # -- helpers ---------------------------------------------------------------------------------

    def _finish(self, deploy: Deploy, state: DeployState, at: datetime, error: str) -> Deploy:
        env = self.environment(deploy.environment)
        finished = deploy.moved(state, at, error)
        key = (deploy.feature, deploy.attempt_key)
        succeeded = state is not DeployState.FAILED
        # A deploy failed at its deadline already counted as a failure; a late failure does not
        # count twice, a late success clears it.
        if succeeded or not deploy.timed_out:
            env.history[key] = env.history.get(key, HashHistory()).finished(succeeded, at, error)
        if state is DeployState.DEPLOYED:
            env.deployed_at[deploy.feature] = at
        current = env.in_flight.get(deploy.feature)
        if current is not None and current.instruction_id == deploy.instruction_id:
            del env.in_flight[deploy.feature]
        self._by_id.pop(deploy.instruction_id, None)
        self._replace_latest(finished)
        env.version += 1
        return finished

    def _replace_latest(self, deploy: Deploy) -> None:
        env = self.environment(deploy.environment)
        latest = env.latest.get(deploy.feature)
        if latest is None or latest.instruction_id == deploy.instruction_id:
            env.latest[deploy.feature] = deploy
            self._note_failed(deploy)

    def _note_uninstall(self, deploy: Deploy) -> None:
        if deploy.action is not Action.UNINSTALL:
            return
        key = (deploy.environment, deploy.feature, deploy.release_hash)
        known = self._uninstalls.get(key)
        if known is None or known < deploy.sent_at:
            self._uninstalls[key] = deploy.sent_at

    def _note_failed(self, latest: Deploy) -> None:
        pair = (latest.environment, latest.feature)
        if latest.state is DeployState.FAILED:
            self.failed[pair] = latest
        else:
            self.failed.pop(pair, None)

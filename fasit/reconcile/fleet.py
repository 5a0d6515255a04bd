"""One reconcile pass over the fleet: decide each environment, then apply waves and limits.

Cheap when nothing changed: an environment is decided again only when its desired releases
(the planner carries a release over as the same object while its inputs' content keys hold),
its run-time state (`EnvironmentRuntime.version`), the open circuits, or what the plan says
of orphans (registered, pruned and protected features; the environment's `reconcile`)
changed, or a time it was waiting for came. Otherwise its last decisions stand, so an idle
pass over 1,000 environments costs a dictionary walk, no I/O. Where each environment stands
in each change is worked out again on the same terms (change_tracker.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from fasit.backoff import Backoff
from fasit.plan import DesiredRelease, Plan
from fasit.reconcile.change_tracker import ChangeTracker, Shown
from fasit.reconcile.decision_inputs import DEPLOY_RETRY
from fasit.reconcile.decisions import (
    Circuit,
    Decision,
    EnvironmentView,
    Reason,
    RolloutKey,
    decide_environment,
)
from fasit.reconcile.deploys import Deploy
from fasit.reconcile.limits import Limits, apply_limits, open_circuits
from fasit.reconcile.prune_budget import (
    BudgetResult,
    SharedPruning,
    Slice,
    allowed_uninstalls,
    apply_prune_budget,
    replica_slice,
)
from fasit.reconcile.runtime import Runtime
from fasit.reconcile.waves import ChangeProgress, Hold, hold_sends

__all__ = ["FleetDecider", "PassResult", "ReconcileConfig"]


@dataclass(frozen=True, slots=True)
class ReconcileConfig:
    interval: float = 60.0
    """Seconds between passes when nothing wakes the reconciler."""
    limits: Limits = field(default_factory=Limits)
    retry: Backoff = DEPLOY_RETRY
    timeout_margin: float = 60.0
    """Seconds past an instruction's helm timeout before it counts as failed."""
    resend_after: float = 1.0
    """Seconds before another pass when the hub could not queue an instruction."""
    shared_refresh: float = 5.0
    """With replicas sharing a fleet: seconds between reads of what the others own (for the
    read side: every replica shows the whole fleet)."""


@dataclass(frozen=True, slots=True)
class PassResult:
    decisions: dict[str, list[Decision]]
    """Decisions that may have changed this pass, by environment: all of those decided afresh,
    the sends of the others (limits may hold them back)."""
    sends: list[Decision]
    """Deploys and uninstalls to send now, within the limits."""
    due: datetime | None
    """The earliest time a decision waits for (a retry, a deadline)."""
    decided: int
    """Environments decided afresh (the rest kept their decisions)."""


_PlanTerms = tuple[frozenset[str], frozenset[str], frozenset[str]]
"""What every environment's decisions read of the plan beyond its own releases: the
registered features, those that prune and those protected (an orphan's fate)."""


@dataclass(frozen=True, slots=True)
class _Memo:
    desired: Mapping[str, DesiredRelease]
    version: int
    circuits: Mapping[RolloutKey, Circuit]
    terms: _PlanTerms
    known: bool
    """Whether the plan declares the environment with `reconcile: true`."""
    due: datetime | None
    decisions: list[Decision]
    sends: tuple[int, ...]
    """Where the deploys and uninstalls are among `decisions`."""


_NOTHING: Mapping[str, DesiredRelease] = {}


class FleetDecider:
    """Decides passes over one plan at a time; remembers each environment's last decisions."""

    def __init__(self, config: ReconcileConfig) -> None:
        self._config = config
        self.plan: Plan | None = None
        self._terms: _PlanTerms = (frozenset(), frozenset(), frozenset())
        self._desired: dict[str, dict[str, DesiredRelease]] = {}
        self._memo: dict[str, _Memo] = {}
        self._circuits: dict[RolloutKey, Circuit] = {}
        self._tracker = ChangeTracker()
        self.current: dict[str, list[Decision]] = {}
        """Every environment's decisions as of the last pass (limits applied)."""
        self.owns: Callable[[str], bool] = _everything
        """Whether this replica reconciles an environment (replicas share a fleet by leases):
        the one filter between the plan and every decision, send, wave and limit."""
        self.replicas = 1
        """Live replicas sharing the fleet: each holds its share of the fleet cap and of what
        is left of the prune budget."""
        self.leader = False
        """Whether this replica is the elected one (it takes the budget's remainder)."""
        self.others_pruning: SharedPruning | None = None
        """What the other replicas count against the prune budget (None: alone)."""
        self.others_shown: Mapping[tuple[str, str], Shown] = {}
        """What the shared store shows of the releases other replicas own: (status, desired
        version, running version, deployed at), where each stands in a change's waves."""
        self.others_failed: Mapping[tuple[str, str], Deploy] = {}
        """Releases other replicas own whose latest deploy failed (from the shared store): the
        circuit breaker counts them with this replica's own."""

    def set_plan(self, plan: Plan) -> None:
        """Take a new plan; environments whose releases the planner carried over keep them."""
        grouped: dict[str, dict[str, DesiredRelease]] = {}
        for (environment, feature), release in plan.releases.items():
            grouped.setdefault(environment, {})[feature] = release
        for environment, releases in grouped.items():
            # DesiredRelease compares by identity (eq=False): the planner hands back the very
            # release it carried over, so equal dicts mean nothing to decide again; a release
            # made afresh is decided again even when it came out the same, never wrongly kept.
            if self._desired.get(environment) == releases:
                grouped[environment] = self._desired[environment]
        self._desired = grouped
        # Replaced only when they differ, so a memo compares them by identity in each pass.
        terms = (plan.features, plan.prune, plan.protected)
        if terms != self._terms:
            self._terms = terms
        self.plan = plan

    def take_others(
        self,
        shown: Mapping[tuple[str, str], Shown],
        failed: Mapping[tuple[str, str], Deploy] | None,
        pruning: SharedPruning | None = None,
    ) -> bool:
        """What the shared store shows of the environments other replicas own (`failed`,
        `pruning` None: unknown this time); whether it changed anything a pass counts."""
        changed = False
        if failed is not None and failed != self.others_failed:
            self.others_failed, changed = failed, True
        if pruning is not None:
            known = self.others_pruning
            if known is None or (known.uninstalls, known.running) != (
                pruning.uninstalls,
                pruning.running,
            ):
                changed = True
            self.others_pruning = pruning  # a new read gives every replica a new slice
        if shown != self.others_shown:
            self.others_shown, changed = shown, True
        return changed

    @property
    def circuits(self) -> Mapping[RolloutKey, Circuit]:
        """The circuits open as of the last pass."""
        return self._circuits

    def desired(self, environment: str) -> Mapping[str, DesiredRelease]:
        return self._desired.get(environment, _NOTHING)

    def changes(self) -> list[ChangeProgress]:
        """Each change rolling through a Rollout's waves (not yet DEPLOYED everywhere) as of
        the last pass, by feature then version."""
        return self._tracker.changes()

    def decide(self, runtime: Runtime, now: datetime) -> PassResult:
        plan = self.plan
        if plan is None:
            raise RuntimeError("FleetDecider.decide: no plan yet")
        circuits = self._open_circuits(runtime)
        owned = {e for e in plan.environments if self.owns(e)}
        self._tracker.track(plan, self.desired, runtime, owned, self.others_shown, now)
        environments = {
            e for e in plan.environments.keys() | runtime.environments.keys() if self.owns(e)
        }
        fresh: dict[str, list[Decision]] = {}
        due: datetime | None = None
        for environment in environments:
            memo = self._decided(environment, plan, runtime, circuits, now)
            if memo is not None:
                fresh[environment] = memo.decisions
            else:
                memo = self._memo[environment]
            if memo.due is not None and (due is None or memo.due < due):
                due = memo.due
        for environment in self.current.keys() - environments:
            del self.current[environment]
            self._memo.pop(environment, None)
        # Only the sends go through the limits: a few per environment, not all its decisions.
        wanted = {
            environment: [memo.decisions[i] for i in memo.sends]
            for environment, memo in self._memo.items()
            if memo.sends
        }
        gated = hold_sends(
            wanted,
            lambda environment, feature: self._hold(plan, environment, feature),
            lambda decision: _resending(runtime, decision),
        )
        budgeted = self._budgeted(gated, runtime, plan, now)
        limited = {
            **budgeted.decisions,
            **apply_limits(budgeted.decisions, _busy(runtime, budgeted.decisions), self._limits()),
        }
        for extra in (budgeted.due, self._tracker.due):
            if extra is not None and (due is None or extra < due):
                due = extra
        changed = dict(fresh)
        for environment, held in limited.items():
            memo = self._memo[environment]
            current = list(memo.decisions)
            for index, decision in zip(memo.sends, held, strict=True):
                current[index] = decision
            self.current[environment] = current
            # Decided afresh: record all of it, limits applied; otherwise only the sends moved.
            changed[environment] = current if environment in fresh else held
        for environment, decisions in fresh.items():
            if environment not in limited:
                self.current[environment] = decisions
        sends = [d for decisions in limited.values() for d in decisions if d.reason.sends]
        return PassResult(changed, sends, due, len(fresh))

    def _limits(self) -> Limits:
        """The limits of this replica: its share of the fleet cap, rounded up."""
        limits = self._config.limits
        if self.replicas <= 1:
            return limits
        return replace(limits, fleet=-(-limits.fleet // self.replicas))

    def _decided(
        self,
        environment: str,
        plan: Plan,
        runtime: Runtime,
        circuits: Mapping[RolloutKey, Circuit],
        now: datetime,
    ) -> _Memo | None:
        """A fresh memo when the environment had to be decided again, else None."""
        desired = self._desired.get(environment, _NOTHING)
        state = runtime.environments.get(environment)
        version = -1 if state is None else state.version
        memo = self._memo.get(environment)
        located = plan.environments.get(environment)
        known = located is not None and located.model.reconcile
        if (
            memo is not None
            and memo.desired is desired
            and memo.version == version
            and memo.circuits is circuits
            and memo.terms is self._terms
            and memo.known == known
            and (memo.due is None or now < memo.due)
        ):
            return None
        view = EnvironmentView(
            environment,
            desired,
            now,
            agent=None if state is None else state.agent_view(),
            in_flight={} if state is None else state.in_flight,
            history={} if state is None else state.history,
            known=known,
            features=plan.features,
            prune=plan.prune,
            protected=plan.protected,
            circuits=circuits,
            retry=self._config.retry,
        )
        decisions = decide_environment(view)
        dues = [decision.due for decision in decisions if decision.due is not None]
        sends = tuple(i for i, decision in enumerate(decisions) if decision.reason.sends)
        due = min(dues, default=None)
        memo = _Memo(desired, version, circuits, self._terms, known, due, decisions, sends)
        self._memo[environment] = memo
        return memo

    def _hold(self, plan: Plan, environment: str, feature: str) -> Hold | None:
        release = self._desired.get(environment, _NOTHING).get(feature)
        return None if release is None else self._tracker.hold(plan, environment, feature, release)

    def _budgeted(
        self, wanted: dict[str, list[Decision]], runtime: Runtime, plan: Plan, now: datetime
    ) -> BudgetResult:
        """The sends with uninstalls beyond the plan's prune budget refused: the fleet's,
        with replicas counting the others' from the store and this one held to its slice."""
        if not any(d.reason is Reason.UNINSTALL for sends in wanted.values() for d in sends):
            return BudgetResult(wanted, None)  # the common pass: no walk over every release
        settings = plan.prune_budget
        since = now - timedelta(seconds=settings.window_seconds)
        own = runtime.uninstalls_since(since)
        shared = self.others_pruning
        if shared is None:
            return apply_prune_budget(wanted, own, len(runtime.managed(own)), settings)
        theirs = {key: at for key, at in shared.uninstalls.items() if at > since}
        sent = {**theirs, **own}
        managed = len(runtime.managed(sent) | shared.running)
        at_read = len(theirs.keys() - own.keys()) + sum(at <= shared.read_at for at in own.values())
        since_read = sum(at > shared.read_at for at in own.values())
        remaining = allowed_uninstalls(settings, managed) - at_read
        left = replica_slice(remaining, self.replicas, self.leader) - since_read
        read_again = shared.read_at + timedelta(seconds=self._config.shared_refresh)
        share = Slice(max(0, left), self.replicas)
        return apply_prune_budget(wanted, sent, managed, settings, share, read_again)

    def _open_circuits(self, runtime: Runtime) -> dict[RolloutKey, Circuit]:
        """The open circuits; the same object as last pass when none changed."""
        failures = []
        failed = {**self.others_failed, **runtime.failed} if self.others_failed else runtime.failed
        for (environment, feature), deploy in failed.items():
            release = self._desired.get(environment, _NOTHING).get(feature)
            if release is None or release.release_hash != deploy.release_hash:
                continue  # a failure of another hash is history, not this rollout's
            rollout = (feature, release.version, release.digest or "")
            failures.append((environment, rollout, deploy.error))
        circuits = open_circuits(failures, self._config.limits.circuit_threshold)
        if circuits != self._circuits:
            self._circuits = circuits
        return self._circuits


def _everything(environment: str) -> bool:
    return True


def _busy(runtime: Runtime, sends: Mapping[str, list[Decision]]) -> dict[str, int]:
    """Instructions in flight per environment, less those about to be resent: a resend takes
    the place of its own unacknowledged instruction, so that one must not hold it back."""
    busy = dict(runtime.in_flight_counts())
    for environment, decisions in sends.items():
        resends = sum(1 for d in decisions if d.reason.sends and _resending(runtime, d))
        if resends:
            busy[environment] = max(0, busy.get(environment, 0) - resends)
    return busy


def _resending(runtime: Runtime, decision: Decision) -> bool:
    """A deploy of an instruction already sent (never acknowledged): in-flight work."""
    state = runtime.environments.get(decision.environment)
    flight = None if state is None else state.in_flight.get(decision.feature)
    return flight is not None and flight.release_hash == decision.release_hash

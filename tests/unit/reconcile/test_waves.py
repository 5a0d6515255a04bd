"""The wave rule, pass by pass: a change reaches a wave only once the waves before it run it
healthy for the soak; a failure halts, a fix resumes, offline holds, a pause stops new sends.

Each case plans a real state repository (nav/dev and acme/dev in wave dev, nav/prod and
acme/prod in wave prod, nav/lab in the implicit last wave) and decides passes over a run-time
state built from agent events and deploy records, with an injected clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fasit.agents import Action, AgentConnected, ReleaseState
from fasit.plan import DesiredRelease, Plan
from fasit.reconcile import (
    Deploy,
    DeployState,
    FleetDecider,
    Progress,
    Reason,
    ReconcileConfig,
    Runtime,
    Standing,
    change_label,
    gate_change,
)
from tests import states
from tests.unit.reconcile.support import NOW

DEV = ("acme/dev", "nav/dev")
PROD = ("acme/prod", "nav/prod")
LAB = "nav/lab"
EVERY = (*DEV, *PROD, LAB)


def fleet_state(
    *versions: tuple[str, str],
    soak: str = "10m",
    skip_offline: bool | None = None,
    paused: bool | None = None,
    assignment_paused: bool | None = None,
) -> dict[str, str]:
    """web (and api, when given) at the versions given as (feature, version)."""
    files = states.state(
        *(states.environment(*env.split("/")) for env in EVERY),
        states.rollout(
            "default",
            ("dev", {"env": "dev"}, "0s"),
            ("prod", {"env": "prod"}, soak),
            skip_offline=skip_offline,
            paused=paused,
            reason="freeze for the holidays" if paused else None,
        ),
    )
    for feature, version in versions:
        files.update(states.feature(feature))
        files.update(states.chart(feature, version))
        files.update(
            states.assignment(
                feature,
                version,
                {},
                paused=assignment_paused,
                reason="waiting for a database migration" if assignment_paused else None,
                file=f"assignments/{feature}.yaml",
            )
        )
    return files


@dataclass
class Fleet:
    """A decider over a plan, and agents that report what runs."""

    root: Path
    decider: FleetDecider = field(default_factory=lambda: FleetDecider(ReconcileConfig()))
    runtime: Runtime = field(default_factory=Runtime)
    plan: Plan | None = None
    count: int = 0

    def take(self, files: dict[str, str]) -> Plan:
        self.count += 1
        root = self.root / f"rev-{self.count}"
        self.plan = states.build(root, files).plan
        self.decider.set_plan(self.plan)
        return self.plan

    def release(self, environment: str, feature: str = "web") -> DesiredRelease:
        assert self.plan is not None
        return self.plan.releases[(environment, feature)]

    def connect(self, environment: str, *running: ReleaseState) -> None:
        self.runtime.connected(
            AgentConnected(environment, "s-1", NOW, "1", running, "", "ipv4:127.0.0.1:1")
        )

    def finished(
        self,
        environment: str,
        state: DeployState,
        at: datetime,
        feature: str = "web",
        session: str = "s-1",
    ) -> None:
        """The desired release's deploy finished at `at` (as the deploy log recorded it)."""
        release = self.release(environment, feature)
        self.runtime.restore(
            [
                Deploy(
                    f"id-{environment}-{feature}-{at.isoformat()}",
                    environment,
                    feature,
                    Action.INSTALL,
                    release.version,
                    release.release_hash or "",
                    "rev",
                    1,
                    state,
                    at,
                    at,
                    at + timedelta(minutes=6),
                    release.namespace,
                    session,
                )
            ]
        )

    def decide(self, now: datetime = NOW) -> dict[tuple[str, str], tuple[Reason, str]]:
        result = self.decider.decide(self.runtime, now)
        self.due = result.due
        return {
            (d.environment, d.feature): (d.reason, d.message)
            for decisions in self.decider.current.values()
            for d in decisions
        }


def runs(release: DesiredRelease) -> ReleaseState:
    return ReleaseState(
        release.feature_name,
        release.namespace,
        release.feature_name,
        release.version,
        release.release_hash or "",
        "deployed",
        1,
        NOW,
    )


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    """Every environment runs web 1.0.0 (deployed long ago); the plan now wants 2.0.0."""
    fleet = Fleet(tmp_path)
    fleet.take(fleet_state(("web", "1.0.0")))
    for environment in EVERY:
        fleet.connect(environment, runs(fleet.release(environment)))
    fleet.take(fleet_state(("web", "2.0.0")))
    return fleet


def deployed(fleet: Fleet, environment: str, at: datetime, feature: str = "web") -> None:
    """`environment` runs its desired release, deployed at `at`."""
    fleet.finished(environment, DeployState.DEPLOYED, at, feature)
    running = [
        runs(fleet.release(environment, name))
        for (env, name) in sorted(fleet.decider.plan.releases if fleet.decider.plan else {})
        if env == environment
    ]
    fleet.connect(environment, *running)


def reasons(decided: dict[tuple[str, str], tuple[Reason, str]], feature: str = "web") -> dict:
    return {env: decided[(env, feature)][0] for env in EVERY}


def test_the_first_wave_gets_the_change_and_the_later_ones_wait_for_it(fleet: Fleet) -> None:
    decided = fleet.decide()

    assert reasons(decided) == {
        "acme/dev": Reason.DEPLOY,
        "nav/dev": Reason.DEPLOY,
        "acme/prod": Reason.WAITING_WAVE,
        "nav/prod": Reason.WAITING_WAVE,
        LAB: Reason.WAITING_WAVE,
    }
    assert decided[("nav/prod", "web")][1] == (
        "waiting for wave dev: acme/dev deploying 2.0.0, nav/dev deploying 2.0.0"
    )
    assert decided[(LAB, "web")][1] == decided[("nav/prod", "web")][1]


def test_the_next_wave_soaks_after_the_last_environment_of_the_waves_before(fleet: Fleet) -> None:
    deployed(fleet, "acme/dev", NOW - timedelta(minutes=8))
    deployed(fleet, "nav/dev", NOW - timedelta(minutes=3))

    decided = fleet.decide()

    assert reasons(decided)["nav/prod"] is Reason.WAITING_WAVE
    assert decided[("nav/prod", "web")][1] == (
        "waiting for wave dev: soaking until 12:07:00 UTC (wave prod soaks 10m)"
    )
    assert fleet.due == NOW + timedelta(minutes=7)


def test_once_the_soak_is_over_the_next_wave_gets_the_change(fleet: Fleet) -> None:
    deployed(fleet, "acme/dev", NOW - timedelta(minutes=8))
    deployed(fleet, "nav/dev", NOW - timedelta(minutes=3))
    fleet.decide()

    decided = fleet.decide(NOW + timedelta(minutes=7))

    assert reasons(decided) == {
        "acme/dev": Reason.UNCHANGED,
        "nav/dev": Reason.UNCHANGED,
        "acme/prod": Reason.DEPLOY,
        "nav/prod": Reason.DEPLOY,
        LAB: Reason.WAITING_WAVE,
    }
    assert decided[(LAB, "web")][1] == (
        "waiting for wave prod: acme/prod deploying 2.0.0, nav/prod deploying 2.0.0"
    )


def test_the_implicit_last_wave_goes_when_every_declared_wave_runs_the_change(
    fleet: Fleet,
) -> None:
    for environment in (*DEV, *PROD):
        deployed(fleet, environment, NOW - timedelta(hours=1))

    decided = fleet.decide()

    assert decided[(LAB, "web")][0] is Reason.DEPLOY


def test_a_failure_in_a_wave_halts_the_later_waves(fleet: Fleet) -> None:
    deployed(fleet, "nav/dev", NOW - timedelta(hours=1))
    fleet.finished("acme/dev", DeployState.FAILED, NOW - timedelta(seconds=10))

    decided = fleet.decide()

    assert decided[("nav/prod", "web")] == (
        Reason.HALTED,
        "halted: acme/dev FAILED (wave dev); a revision that fixes it resumes",
    )
    assert decided[(LAB, "web")][0] is Reason.HALTED
    assert decided[("acme/dev", "web")][0] is Reason.BACKOFF  # it retries on its own backoff


def test_a_fixing_revision_resumes_the_rollout(fleet: Fleet) -> None:
    deployed(fleet, "nav/dev", NOW - timedelta(hours=1))
    fleet.finished("acme/dev", DeployState.FAILED, NOW - timedelta(minutes=1))
    fleet.decide()

    fleet.take(fleet_state(("web", "2.0.1")))
    decided = fleet.decide()

    assert reasons(decided) == {
        "acme/dev": Reason.DEPLOY,
        "nav/dev": Reason.DEPLOY,
        "acme/prod": Reason.WAITING_WAVE,
        "nav/prod": Reason.WAITING_WAVE,
        LAB: Reason.WAITING_WAVE,
    }
    assert decided[("nav/prod", "web")][1].startswith("waiting for wave dev: acme/dev deploying")


def test_a_per_release_problem_in_a_wave_halts_the_later_waves(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)
    files = fleet_state(("web", "2.0.0"))
    files.update(states.chart("web", "2.0.0", values={"url": states.configurable(required=True)}))
    for environment in EVERY:
        if environment != "acme/dev":
            files.update(states.config("web", environment, {"url": "https://example.net"}))
    fleet.take(files)
    for environment in EVERY:
        fleet.connect(environment)

    decided = fleet.decide()

    assert decided[("acme/dev", "web")][0] is Reason.MISSING_CONFIG
    assert decided[("nav/prod", "web")][1].startswith("halted: acme/dev MISSING-CONFIG")


def test_an_offline_environment_holds_its_wave(fleet: Fleet) -> None:
    deployed(fleet, "acme/dev", NOW - timedelta(hours=1))
    fleet.runtime.environments.pop("nav/dev")  # its agent never connected

    decided = fleet.decide()

    assert decided[("nav/prod", "web")] == (
        Reason.WAITING_WAVE,
        "waiting for wave dev: nav/dev OFFLINE",
    )


def test_with_skip_offline_an_offline_environment_does_not_hold_its_wave(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)
    fleet.take(fleet_state(("web", "2.0.0"), skip_offline=True))
    for environment in ("acme/dev", *PROD, LAB):
        fleet.connect(environment)
    deployed(fleet, "acme/dev", NOW - timedelta(hours=1))

    decided = fleet.decide()

    assert decided[("nav/dev", "web")][0] is Reason.AGENT_OFFLINE
    assert decided[("nav/prod", "web")][0] is Reason.DEPLOY


def test_a_paused_rollout_sends_nothing_new(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)
    fleet.take(fleet_state(("web", "2.0.0"), paused=True))
    for environment in EVERY:
        fleet.connect(environment)

    decided = fleet.decide()

    assert decided[("nav/dev", "web")] == (
        Reason.PAUSED,
        "paused: freeze for the holidays (rollouts/default.yaml:11)",
    )
    assert {reason for reason, _ in decided.values()} == {Reason.PAUSED}


def test_a_paused_rollout_lets_work_in_flight_finish(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)
    fleet.take(fleet_state(("web", "2.0.0"), paused=True))
    for environment in EVERY:
        fleet.connect(environment)
    fleet.finished("nav/dev", DeployState.INSTALLING, NOW - timedelta(seconds=5))

    decided = fleet.decide()

    assert decided[("nav/dev", "web")][0] is Reason.IN_PROGRESS


def test_a_paused_rollout_resends_what_an_ended_session_never_acknowledged(
    tmp_path: Path,
) -> None:
    fleet = Fleet(tmp_path)
    fleet.take(fleet_state(("web", "2.0.0"), paused=True))
    for environment in EVERY:
        fleet.connect(environment)
    fleet.finished("nav/dev", DeployState.SENT, NOW - timedelta(seconds=5), session="s-0")

    decided = fleet.decide()

    assert decided[("nav/dev", "web")][0] is Reason.DEPLOY
    assert decided[("nav/dev", "web")][1].startswith("resending ")
    assert decided[("acme/dev", "web")][0] is Reason.PAUSED


def test_a_paused_assignment_holds_its_change_and_not_the_others(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)
    files = fleet_state(("web", "2.0.0"), assignment_paused=True)
    files.update(fleet_state(("api", "1.0.0")))
    files["assignments/web.yaml"] = fleet_state(("web", "2.0.0"), assignment_paused=True)[
        "assignments/web.yaml"
    ]
    fleet.take(files)
    for environment in EVERY:
        fleet.connect(environment)

    decided = fleet.decide()

    assert decided[("nav/dev", "web")] == (
        Reason.PAUSED,
        "paused: waiting for a database migration (assignments/web.yaml:6)",
    )
    assert decided[("nav/dev", "api")][0] is Reason.DEPLOY


def test_a_halt_holds_only_its_own_change(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)
    fleet.take(fleet_state(("web", "2.0.0"), ("api", "3.0.0")))
    for environment in EVERY:
        fleet.connect(environment)
    deployed(fleet, "nav/dev", NOW - timedelta(hours=1), "api")
    deployed(fleet, "acme/dev", NOW - timedelta(hours=1), "api")
    fleet.finished("acme/dev", DeployState.FAILED, NOW - timedelta(minutes=1), "web")

    decided = fleet.decide()

    assert decided[("nav/prod", "web")][0] is Reason.HALTED
    assert decided[("nav/prod", "api")][0] is Reason.DEPLOY


def test_a_change_superseded_mid_rollout_starts_again_from_the_first_wave(fleet: Fleet) -> None:
    for environment in DEV:
        deployed(fleet, environment, NOW - timedelta(hours=1))
    assert fleet.decide()[("nav/prod", "web")][0] is Reason.DEPLOY

    fleet.take(fleet_state(("web", "3.0.0")))
    decided = fleet.decide()

    assert reasons(decided)["nav/dev"] is Reason.DEPLOY
    assert decided[("nav/prod", "web")] == (
        Reason.WAITING_WAVE,
        "waiting for wave dev: acme/dev deploying 3.0.0, nav/dev deploying 3.0.0",
    )


def test_an_idle_pass_works_out_no_wave_again(fleet: Fleet) -> None:
    fleet.decide()
    before = fleet.decider.changes()

    fleet.decide(NOW + timedelta(seconds=1))

    assert fleet.decider.changes() == before
    assert [(change.key[1], change.current) for change in before] == [("2.0.0", 0)]


def test_the_rollout_progress_names_each_wave_and_who_holds_it(fleet: Fleet) -> None:
    deployed(fleet, "nav/dev", NOW - timedelta(minutes=1))
    fleet.finished("acme/dev", DeployState.FAILED, NOW)
    fleet.decide()

    (change,) = fleet.decider.changes()

    assert change.rollout == "default"
    assert change_label(change.key).startswith("2.0.0@")
    assert change.current == 0
    assert change.halted.startswith("halted: acme/dev FAILED")
    assert [
        (wave.name, [(s.environment, s.progress) for s in wave.standings]) for wave in change.waves
    ] == [
        ("dev", [("acme/dev", Progress.FAILED), ("nav/dev", Progress.DEPLOYED)]),
        ("prod", [("acme/prod", Progress.DEPLOYING), ("nav/prod", Progress.DEPLOYING)]),
        ("(rest)", [(LAB, Progress.DEPLOYING)]),
    ]


def test_a_wave_the_change_does_not_reach_is_passed_over(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)
    fleet.take(fleet_state(("web", "1.0.0")))
    layout = fleet.plan.rollouts["web"] if fleet.plan else None
    assert layout is not None
    prod = Standing("nav/prod", 1, Progress.DEPLOYING, "deploying 1.0.0")
    lab = Standing(LAB, 2, Progress.DEPLOYING, "deploying 1.0.0")

    change = gate_change(("web", "1.0.0", ""), layout, [prod, lab], NOW)

    assert [wave.hold is None for wave in change.waves] == [True, True, False]
    assert change.current == 1

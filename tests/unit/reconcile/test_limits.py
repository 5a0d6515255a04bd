"""Fleet limits: one instruction at a time per environment, the fleet cap, the circuit breaker."""

from __future__ import annotations

from fasit.reconcile import Decision, Limits, Reason, apply_limits, open_circuits


def send(environment: str, feature: str) -> Decision:
    return Decision(environment, feature, Reason.DEPLOY, f"install {feature}", "1.0.0", "h")


def reasons(limited: dict[str, list[Decision]]) -> dict[tuple[str, str], Reason]:
    return {(d.environment, d.feature): d.reason for ds in limited.values() for d in ds}


def test_one_instruction_at_a_time_per_environment_by_default() -> None:
    limited = apply_limits({"nav/dev": [send("nav/dev", "a"), send("nav/dev", "b")]}, {}, Limits())

    assert reasons(limited) == {("nav/dev", "a"): Reason.DEPLOY, ("nav/dev", "b"): Reason.QUEUED}
    assert limited["nav/dev"][1].message == (
        "install b; held: one instruction at a time in this environment: another is in flight"
    )


def test_an_environment_with_work_in_flight_sends_nothing_more() -> None:
    limited = apply_limits({"nav/dev": [send("nav/dev", "a")]}, {"nav/dev": 1}, Limits())

    assert reasons(limited) == {("nav/dev", "a"): Reason.QUEUED}


def test_the_per_environment_limit_is_configurable() -> None:
    decisions = {"nav/dev": [send("nav/dev", "a"), send("nav/dev", "b"), send("nav/dev", "c")]}

    limited = apply_limits(decisions, {}, Limits(per_environment=2))

    assert [d.reason for d in limited["nav/dev"]] == [Reason.DEPLOY, Reason.DEPLOY, Reason.QUEUED]


def test_the_fleet_cap_holds_across_environments() -> None:
    decisions = {f"nav/e{i}": [send(f"nav/e{i}", "a")] for i in range(5)}

    limited = apply_limits(decisions, {"other/x": 1}, Limits(fleet=3))

    sent = [env for env, ds in limited.items() if ds[0].reason is Reason.DEPLOY]
    assert sent == ["nav/e0", "nav/e1"]
    assert limited["nav/e4"][0].message.endswith("held: fleet cap: 3 instructions in flight")


def test_environments_without_sends_are_left_out() -> None:
    unchanged = Decision("nav/dev", "a", Reason.UNCHANGED, "running")

    assert apply_limits({"nav/dev": [unchanged]}, {}, Limits()) == {}


def test_a_circuit_opens_at_the_threshold_of_failed_environments() -> None:
    rollout = ("api", "2.0.0", "sha256:d")
    failures = [(f"nav/e{i}", rollout, f"error {i}") for i in range(3)]

    circuits = open_circuits(failures, threshold=3)

    assert list(circuits) == [rollout]
    assert circuits[rollout].failures == (
        ("nav/e0", "error 0"),
        ("nav/e1", "error 1"),
        ("nav/e2", "error 2"),
    )


def test_a_circuit_stays_closed_below_the_threshold() -> None:
    rollout = ("api", "2.0.0", "sha256:d")

    assert open_circuits([("nav/a", rollout, "x"), ("nav/b", rollout, "x")], threshold=3) == {}


def test_failures_of_different_rollouts_are_counted_apart() -> None:
    failures = [
        ("nav/a", ("api", "2.0.0", "sha256:d"), "x"),
        ("nav/b", ("api", "2.0.1", "sha256:e"), "x"),
        ("nav/c", ("api", "2.0.0", "sha256:d"), "x"),
    ]

    assert open_circuits(failures, threshold=3) == {}

"""Rollouts in the state repository: waves over environments, and the problems validate reports
about them at file:line:column."""

from __future__ import annotations

from pathlib import Path

from fasit.plan import validate_tree
from fasit.state import DirectoryTree, Problem, Severity
from tests import states
from tests.helpers import write_tree

FLEET = states.state(
    states.environment("nav", "dev"),
    states.environment("nav", "prod"),
    states.environment("acme", "dev"),
    states.environment("acme", "lab"),
    states.feature("web"),
    states.chart("web", "1.0.0"),
    states.assignment("web", "1.0.0", {}),
)
TWO_WAVES = states.rollout(
    "default", ("dev", {"env": "dev"}, "0s"), ("prod", {"env": "prod"}, "10m")
)


def problems(root: Path, *parts: dict[str, str]) -> list[Problem]:
    write_tree(root, states.state(FLEET, *parts))
    return list(validate_tree(DirectoryTree(root)).problems)


def shown(found: list[Problem]) -> list[str]:
    return [f"{p.file}:{p.line}:{p.column}: {p.severity} {p.code}: {p.message}" for p in found]


def test_environments_no_wave_selects_form_an_implicit_last_wave(tmp_path: Path) -> None:
    result = states.build(tmp_path, states.state(FLEET, TWO_WAVES))

    layout = result.plan.rollouts["web"]

    assert layout.names == ("dev", "prod", "(rest)")
    assert layout.soaks == (0, 600, 0)
    assert {env: layout.wave_of(env) for env in sorted(layout.members)} == {
        "acme/dev": 0,
        "acme/lab": 2,
        "nav/dev": 0,
        "nav/prod": 1,
    }


def test_a_feature_follows_the_rollout_it_names_over_default(tmp_path: Path) -> None:
    careful = states.rollout("careful", ("lab", {"env": "lab"}, "1h"))
    files = states.state(FLEET, TWO_WAVES, careful, states.feature("web", rollout="careful"))

    result = states.build(tmp_path, files)

    assert result.plan.rollouts["web"].name == "careful"


def test_without_a_default_rollout_a_feature_has_no_waves(tmp_path: Path) -> None:
    other = states.rollout("other", ("dev", {"env": "dev"}, "0s"))

    result = states.build(tmp_path, states.state(FLEET, other))

    assert result.plan.rollouts == {}


def test_an_unknown_rollout_is_an_error_at_the_feature_with_a_suggestion(tmp_path: Path) -> None:
    found = problems(tmp_path, TWO_WAVES, states.feature("web", rollout="defualt"))

    assert shown(found) == [
        "features/web.yaml:5:10: error unknown-rollout: unknown rollout 'defualt': no Rollout"
        " document defines it (did you mean 'default'?)"
    ]


def test_an_environment_in_two_waves_is_reported_at_both(tmp_path: Path) -> None:
    overlapping = states.rollout(
        "default", ("dev", {"env": "dev"}, "0s"), ("nav", {"tenant": "nav"}, "5m")
    )

    found = problems(tmp_path, overlapping)

    assert shown(found) == [
        "rollouts/default.yaml:6:13: error wave-overlap: wave 'dev' and wave 'nav' (at"
        " rollouts/default.yaml:9) both select nav/dev: an environment is in one wave only",
        "rollouts/default.yaml:9:13: error wave-overlap: wave 'nav' and wave 'dev' (at"
        " rollouts/default.yaml:6) both select nav/dev: an environment is in one wave only",
    ]


def test_a_wave_that_selects_nothing_is_a_warning(tmp_path: Path) -> None:
    rollout = states.rollout("default", ("dev", {"env": "dev"}, "0s"), ("qa", {"env": "qa"}, "0s"))

    found = problems(tmp_path, rollout)

    assert shown(found) == [
        "rollouts/default.yaml:9:13: warning empty-wave: wave 'qa' selects no environment"
    ]
    assert found[0].severity is Severity.WARNING


def test_a_bad_soak_duration_is_an_error_at_its_value(tmp_path: Path) -> None:
    rollout = states.rollout("default", ("dev", {"env": "dev"}, "ten minutes"))

    found = problems(tmp_path, rollout)

    assert [(p.file, p.line, p.column, p.code.value) for p in found] == [
        ("rollouts/default.yaml", 7, 11, "invalid-value")
    ]
    assert "waves[0].soak" in found[0].message


def test_a_wave_name_used_twice_is_reported_at_both(tmp_path: Path) -> None:
    rollout = states.rollout(
        "default", ("dev", {"env": "dev"}, "0s"), ("dev", {"env": "lab"}, "0s")
    )

    found = problems(tmp_path, rollout)

    assert shown(found) == [
        "rollouts/default.yaml:5:11: error duplicate: duplicate wave 'dev': also at"
        " rollouts/default.yaml:8",
        "rollouts/default.yaml:8:11: error duplicate: duplicate wave 'dev': also at"
        " rollouts/default.yaml:5",
    ]


def test_a_rollout_defined_twice_is_a_duplicate(tmp_path: Path) -> None:
    again = {"rollouts/again.yaml": TWO_WAVES["rollouts/default.yaml"]}

    found = problems(tmp_path, TWO_WAVES, again)

    assert [(p.file, p.code.value) for p in found] == [
        ("rollouts/again.yaml", "duplicate"),
        ("rollouts/default.yaml", "duplicate"),
    ]

"""A misspelt name gets the nearest known one: fields, features, environments and labels."""

from __future__ import annotations

from pathlib import Path

from fasit.model import Environment
from fasit.state import DirectoryTree, build_snapshot
from fasit.state.suggest import did_you_mean, field_names
from tests import states
from tests.helpers import write_tree
from tests.unit.state.test_snapshot import revision


def messages(tmp_path: Path, *parts: dict[str, str]) -> list[str]:
    snapshot = build_snapshot(DirectoryTree(write_tree(tmp_path, states.state(*parts))), revision())
    return [problem.message for problem in snapshot.problems]


def test_a_near_miss_is_suggested_and_a_far_one_is_not() -> None:
    assert did_you_mean("aivenatr", ["aivenator", "naisd"]) == " (did you mean 'aivenator'?)"
    assert did_you_mean("xyz", ["aivenator", "naisd"]) == ""


def test_field_names_are_the_names_as_written() -> None:
    assert "environmentKind" in field_names(Environment, [])


def test_an_unknown_feature_suggests_the_nearest(tmp_path: Path) -> None:
    found = messages(
        tmp_path,
        states.environment("nav", "dev"),
        states.feature("aivenator"),
        states.assignment("aivenatr", "1.0.0", {}),
    )

    assert any("(did you mean 'aivenator'?)" in message for message in found), found


def test_an_unknown_environment_in_a_config_suggests_the_nearest(tmp_path: Path) -> None:
    found = messages(
        tmp_path,
        states.environment("nav", "prod"),
        states.feature("web"),
        states.config("web", "nav/prd", {"x": 1}),
    )

    assert any("(did you mean 'nav/prod'?)" in message for message in found), found


def test_an_unknown_field_suggests_the_nearest(tmp_path: Path) -> None:
    env = states.environment("nav", "dev")
    [(path, text)] = env.items()
    found = messages(tmp_path, {path: text.replace("environmentKind", "enviromentKind")})

    assert "unknown field 'enviromentKind' (did you mean 'environmentKind'?)" in found, found


def test_a_reference_to_an_invalid_environment_points_at_its_document(tmp_path: Path) -> None:
    env = states.environment("nav", "prod")
    [(path, text)] = env.items()
    broken = {path: text.replace('"tenant"\n', '"tenat"\n')}
    found = messages(tmp_path, broken, states.feature("web"), states.config("web", "nav/prod", {}))

    assert (
        f"environment 'nav/prod' is defined at {path}:1, but that document is invalid (see there)"
        in found
    ), found

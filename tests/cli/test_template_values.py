"""`--template-value KEY=VALUE` and `--template-values FILE` on `plan` and `explain`: templates
read them as fasit.KEY; what cannot be used is exit 2 with the place."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, write_tree
from tests.states import assignment, chart, computed, environment, feature, state


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write_tree(
        root,
        state(
            chart("iap", "1.0.0", {"audience": computed("{{ fasit.iapAudience }}")}),
            feature("iap"),
            environment("nav", "prod"),
            assignment("iap", "1.0.0", {}),
        ),
    )
    return root


def audience(run_json: dict[str, object]) -> object:
    values = run_json["values"]
    assert isinstance(values, list)
    return next(value["value"] for value in values if value["key"] == "audience")


def test_explain_shows_the_value_given_on_the_command_line(repo: Path) -> None:
    run = run_cli(
        "explain", "nav/prod", "iap", repo, "--format", "json",
        "--template-value", "iapAudience=/projects/42/iap",
    )  # fmt: skip

    assert run.exit_code == 0
    assert audience(run.json) == "/projects/42/iap"


def test_a_value_on_the_command_line_wins_over_the_file(repo: Path, tmp_path: Path) -> None:
    file = tmp_path / "template-values.yaml"
    file.write_text("iapAudience: from-file\nregion: eu\n")

    run = run_cli(
        "explain", "nav/prod", "iap", repo, "--format", "json",
        "--template-values", file, "--template-value", "iapAudience=from-flag",
    )  # fmt: skip

    assert audience(run.json) == "from-flag"


def test_without_template_values_explain_shows_the_placeholder(repo: Path) -> None:
    run = run_cli("explain", "nav/prod", "iap", repo, "--format", "json")

    assert audience(run.json) == "<fasit:iapAudience>"


def test_a_bad_key_in_the_file_is_exit_2_with_its_line_and_column(
    repo: Path, tmp_path: Path
) -> None:
    file = tmp_path / "template-values.yaml"
    file.write_text("region: eu\niap-audience: x\n")

    run = run_cli("plan", repo, "--template-values", file)

    assert run.exit_code == 2
    assert f"{file}:2:1: template value key 'iap-audience'" in run.stderr


def test_a_flag_without_equals_is_exit_2_saying_what_was_expected(repo: Path) -> None:
    run = run_cli("plan", repo, "--template-value", "iapAudience")

    assert run.exit_code == 2
    assert "--template-value: 'iapAudience': expected KEY=VALUE" in run.stderr

"""`fasit plan` and `fasit explain` as a user runs them: formats, exit codes, messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, write_tree
from tests.states import (
    assignment,
    chart,
    computed,
    configurable,
    environment,
    feature,
    rollout,
    state,
)

ROOT_FILES = state(
    chart("x", "1.0.0", {"name": computed("{{ env.name }}"), "level": configurable()}),
    chart(
        "x",
        "2.0.0",
        {"name": computed("{{ env.name }}"), "level": configurable(displayName="Log level")},
    ),
    feature("x", config={"level": "info"}),
    environment("nav", "prod", labels={"team": "a"}),
    environment("nav", "dev"),
    assignment("x", "1.0.0", {}, file="assignments/x/all.yaml"),
    assignment("x", "2.0.0", {"team": "a"}, file="assignments/x/team-a.yaml"),
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", ROOT_FILES)


def test_plan_prints_every_release_with_its_values(repo: Path) -> None:
    run = run_cli("plan", repo)

    assert run.exit_code == 0
    assert "nav/prod\n  x 2.0.0\n" in run.stdout
    assert '      level = "info"\n      name = "prod"\n' in run.stdout
    assert run.stdout.rstrip().endswith("2 releases: 2 planned")


def test_plan_json_has_the_documented_shape(repo: Path) -> None:
    run = run_cli("plan", repo, "--format", "json")

    assert run.exit_code == 0
    assert run.json["base"] is None
    assert run.json["changes"] == []
    [_, prod] = run.json["releases"]
    assert set(prod) == {
        "environment", "feature", "status", "version", "chart", "digest", "namespace",
        "values", "release_hash", "assignment", "message", "rollout",
    }  # fmt: skip
    assert (prod["environment"], prod["version"], prod["status"]) == (
        "nav/prod",
        "2.0.0",
        "planned",
    )
    assert prod["assignment"] == {"file": "assignments/x/team-a.yaml", "line": 4}
    assert prod["digest"].startswith("sha256:")
    assert prod["release_hash"].startswith("sha256:")
    assert prod["values"] == {"name": "prod", "level": "info"}  # exactly what helm gets


def test_plan_against_a_base_directory_lists_changes_per_environment(
    repo: Path, tmp_path: Path
) -> None:
    head = write_tree(
        tmp_path / "head",
        {**ROOT_FILES, **assignment("x", "2.0.0", {}, file="assignments/x/all.yaml")},
    )
    run = run_cli("plan", head, "--base", str(repo))

    assert run.exit_code == 0
    assert "nav/dev\n  ~ x 1.0.0 → 2.0.0 (upgrade)\n" in run.stdout
    assert "1 changes in 1 environment: 1 upgrade" in run.stdout


def test_a_revision_with_blocking_problems_prints_them_and_exits_2(tmp_path: Path) -> None:
    broken = write_tree(tmp_path / "broken", {**ROOT_FILES, "environments/nav/prod.yaml": "a: ["})

    run = run_cli("plan", broken)

    assert run.exit_code == 2
    assert "blocking problems" in run.stderr
    assert "environments/nav/prod.yaml:2:1: error yaml-syntax" in run.stderr
    assert run.stdout == ""


def test_per_release_problems_are_statuses_and_the_plan_succeeds(tmp_path: Path) -> None:
    files = {**ROOT_FILES, **chart("x", "2.0.0", {"name": computed("{{ env.missing }}")})}
    files.pop("charts/x/2.0.0/Chart.yaml")  # chart incomplete: chart-unavailable for nav/prod
    run = run_cli("plan", write_tree(tmp_path / "r", files), "--format", "json")

    assert run.exit_code == 0
    statuses = {r["environment"]: r["status"] for r in run.json["releases"]}
    assert statuses == {"nav/dev": "planned", "nav/prod": "chart-unavailable"}


def test_markdown_stays_readable_for_a_thousand_changes(tmp_path: Path) -> None:
    base = {
        **chart("x", "1.0.0"),
        **chart("x", "2.0.0"),
        **feature("x"),
        **assignment("x", "1.0.0", {}, file="assignments/x/all.yaml"),
    }
    for number in range(1000):
        base.update(environment(f"t{number % 10}", f"e{number}", labels={"n": str(number)}))
    head = {**base, **assignment("x", "2.0.0", {}, file="assignments/x/all.yaml")}
    for number in range(0, 1000, 7):  # some values change too, so groups differ
        head.update(environment(f"t{number % 10}", f"e{number}", labels={"n": "changed"}))
    run = run_cli(
        "plan",
        write_tree(tmp_path / "head", head),
        "--base",
        str(write_tree(tmp_path / "base", base)),
        "--format",
        "markdown",
    )

    assert run.exit_code == 0
    assert "### x 1.0.0 → 2.0.0 · upgrade · 1000 environments" in run.stdout
    assert "| upgrade | 1000 |" in run.stdout
    assert "<details>" in run.stdout
    assert len(run.stdout) < 70_000


def test_explain_says_why_each_assignment_matched_won_or_lost(repo: Path) -> None:
    run = run_cli("explain", "nav/prod", "x", repo)

    assert run.exit_code == 0
    assert "✔ won  assignments/x/team-a.yaml:5: 2.0.0" in run.stdout
    assert "most specific: 1 target label against at most 0" in run.stdout
    assert "matches, but assignments/x/team-a.yaml:5 is more specific" in run.stdout
    assert 'level = "info"\n      from feature-config at features/x.yaml:5' in run.stdout


def test_explain_shows_the_display_name_the_chart_gives_a_value(repo: Path) -> None:
    run = run_cli("explain", "nav/prod", "x", repo, "--format", "json")

    names = {value["key"]: value["display_name"] for value in run.json["values"]}
    assert names == {"level": "Log level", "name": ""}


def test_explain_names_the_missing_label(repo: Path) -> None:
    run = run_cli("explain", "nav/dev", "x", repo, "--format", "json")

    assert run.exit_code == 0
    [everywhere, team] = sorted(run.json["assignments"], key=lambda a: a["file"])
    assert everywhere["won"]
    assert team["reason"] == "label team is missing (target wants team=a)"
    assert {value["key"]: value["source"] for value in run.json["values"]} == {
        "level": "feature-config",
        "name": "computed",
    }


def test_explain_an_unknown_environment_lists_the_known_ones(repo: Path) -> None:
    run = run_cli("explain", "nav/staging", "x", repo)

    assert run.exit_code == 2
    assert "no environment 'nav/staging' (known: nav/dev, nav/prod)" in run.stderr


WAVES = rollout("default", ("dev", {"env": "dev"}, "0s"), ("prod", {"env": "prod"}, "10m"))


def test_plan_says_which_wave_each_environment_is_in(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {**ROOT_FILES, **WAVES})

    text = run_cli("plan", repo)
    as_json = run_cli("plan", repo, "--format", "json")

    assert "nav/dev\n  x 1.0.0 (wave dev of default)\n" in text.stdout
    assert "nav/prod\n  x 2.0.0 (wave prod of default)\n" in text.stdout
    assert [release["rollout"] for release in as_json.json["releases"]] == [
        {"rollout": "default", "wave": "dev"},
        {"rollout": "default", "wave": "prod"},
    ]


def test_plan_of_a_change_gives_the_order_it_rolls_in(tmp_path: Path) -> None:
    base = write_tree(tmp_path / "base", {**ROOT_FILES, **WAVES})
    bump = {
        **assignment("x", "2.0.0", {}, file="assignments/x/all.yaml"),
        **assignment("x", "2.0.0", {"team": "a"}, redeploy="1", file="assignments/x/team-a.yaml"),
    }
    head = write_tree(tmp_path / "head", {**ROOT_FILES, **WAVES, **bump})

    text = run_cli("plan", head, "--base", str(base))
    as_json = run_cli("plan", head, "--base", str(base), "--format", "json")
    markdown = run_cli("plan", head, "--base", str(base), "--format", "markdown")

    order = "x rolls out by default: dev (nav/dev) → prod after a 10m soak (nav/prod)"
    assert "  ~ x 1.0.0 → 2.0.0 (upgrade, wave dev of default)\n" in text.stdout
    assert f"Rollout order:\n  {order}\n" in text.stdout
    assert f"- {order}" in markdown.stdout
    assert as_json.json["rollouts"] == [
        {
            "feature": "x",
            "rollout": "default",
            "paused": None,
            "waves": [
                {"name": "dev", "soak_seconds": 0, "environments": ["nav/dev"]},
                {"name": "prod", "soak_seconds": 600, "environments": ["nav/prod"]},
            ],
        }
    ]


def test_explain_says_which_wave_the_environment_is_in(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {**ROOT_FILES, **WAVES})

    text = run_cli("explain", "nav/prod", "x", repo)
    as_json = run_cli("explain", "nav/prod", "x", repo, "--format", "json")

    assert (
        "Rollout: wave prod of default (dev → prod after a 10m soak); its changes reach this"
        " environment once every environment of wave dev has run them DEPLOYED for 10m"
    ) in text.stdout
    assert as_json.json["rollout"] == {
        "rollout": "default",
        "wave": "prod",
        "index": 1,
        "order": ["dev", "prod"],
        "soak_seconds": 600,
        "paused": None,
    }

"""`fasit plan` between two commits of a real git repository, made with the git CLI.

The state lives in `state/` of the repository, so PATH is a directory inside it and both
revisions are read from the object store without a checkout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_action import run_step
from tests.helpers import run_cli
from tests.integration.git_servers import GitWork
from tests.states import assignment, chart, environment, feature, state

PINNED = "assignments/x/acme-prod.yaml"


@pytest.fixture
def bumped(git_work: GitWork) -> tuple[GitWork, str, str]:
    """Commit 1: x 1.0.0 everywhere, acme/prod pinned; commit 2: the global target at 1.1.0."""
    files = state(
        chart("x", "1.0.0"),
        chart("x", "1.1.0"),
        feature("x"),
        *(environment(t, e) for t in ("nav", "acme") for e in ("dev", "prod")),
        assignment("x", "1.0.0", {}, file="assignments/x/all.yaml"),
        assignment("x", "1.0.0", {"tenant": "acme", "env": "prod"}, file=PINNED),
    )
    for path, text in files.items():
        git_work.write(f"state/{path}", text)
    first = git_work.commit("x 1.0.0 everywhere")
    git_work.write("state/assignments/x/all.yaml", assignment("x", "1.1.0", {}, file="f")["f"])
    second = git_work.commit("x 1.1.0 everywhere but acme/prod")
    return git_work, first, second


def test_plan_shows_the_upgrade_for_exactly_the_environments_the_bump_reaches(
    bumped: tuple[GitWork, str, str],
) -> None:
    work, _, _ = bumped
    run = run_cli("plan", work.work / "state", "--base", "HEAD~1", "--format", "json")

    assert run.exit_code == 0, run.stderr
    assert [
        (c["environment"], c["change"], c["from_version"], c["to_version"])
        for c in run.json["changes"]
    ] == [
        ("acme/dev", "upgrade", "1.0.0", "1.1.0"),
        ("nav/dev", "upgrade", "1.0.0", "1.1.0"),
        ("nav/prod", "upgrade", "1.0.0", "1.1.0"),
    ]


def test_plan_reads_both_sides_from_commits_without_a_checkout(
    bumped: tuple[GitWork, str, str],
) -> None:
    work, first, second = bumped
    work.write("state/assignments/x/all.yaml", "not: [valid")  # the files at PATH are not read

    run = run_cli(
        "plan", work.work / "state", "--base", first, "--head", second, "--format", "json"
    )

    assert run.exit_code == 0, run.stderr
    assert run.json["base"]["revision"] == first
    assert run.json["head"]["revision"] == second
    assert len(run.json["changes"]) == 3


def test_exit_code_says_whether_anything_changes(bumped: tuple[GitWork, str, str]) -> None:
    work, _, second = bumped
    path = work.work / "state"

    assert run_cli("plan", path, "--base", "HEAD~1", "--exit-code").exit_code == 1
    assert run_cli("plan", path, "--base", second, "--exit-code").exit_code == 0


def test_markdown_groups_the_change_by_feature_and_version(
    bumped: tuple[GitWork, str, str],
) -> None:
    work, _, _ = bumped
    run = run_cli("plan", work.work / "state", "--base", "HEAD~1", "--format", "markdown")

    assert "### x 1.0.0 → 1.1.0 · upgrade · 3 environments" in run.stdout
    assert "acme/prod" not in run.stdout


def test_an_unknown_revision_cannot_run(bumped: tuple[GitWork, str, str]) -> None:
    work, _, _ = bumped
    run = run_cli("plan", work.work / "state", "--base", "no-such-branch")

    assert run.exit_code == 2
    assert "'no-such-branch' is not a revision of the repository" in run.stderr


def test_plan_step_appends_the_markdown_plan_to_the_job_summary(
    tmp_path: Path, git_work: GitWork
) -> None:
    files = state(
        chart("x", "1.0.0"), chart("x", "2.0.0"), feature("x"), environment("nav", "prod")
    )
    for path, text in {**files, **assignment("x", "1.0.0", {}, file="a.yaml")}.items():
        git_work.write(f"state/{path}", text)
    git_work.commit("x 1.0.0")
    git_work.write("state/a.yaml", assignment("x", "2.0.0", {}, file="a")["a"])
    git_work.commit("x 2.0.0")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier steps' summary\n")

    completed = run_step(
        "fasit plan",
        tmp_path,
        FASIT_PATH=str(git_work.work / "state"),
        FASIT_PLAN_BASE="HEAD~1",
        GITHUB_STEP_SUMMARY=str(summary),
    )

    assert completed.returncode == 0, completed.stderr
    text = summary.read_text()
    assert text.startswith("earlier steps' summary\n## fasit plan: `HEAD~1` →")
    assert "### x 1.0.0 → 2.0.0 · upgrade · 1 environment" in text

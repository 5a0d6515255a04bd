"""`fasit validate` formats and exit codes, on a fixture with many different problems."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import BROKEN, ENVIRONMENT, run_cli, write_tree
from tests.states import assignment, chart, environment, feature, state

MANY = BROKEN / "many-problems"

# Six different codes in four files, plus a notice: all of them in one run.
MANY_PROBLEMS = [
    ("assignments/aivenator/nav.yaml", 4, 10, "wrong-type", "error"),
    ("assignments/aivenator/nav.yaml", 8, 7, "unknown-kind", "error"),
    ("configs/aivenator/nav-dev.yaml", None, None, "empty-file", "notice"),
    ("configs/aivenator/nav-prod.yaml", 8, 1, "yaml-syntax", "error"),
    ("environments/nav/prod.yaml", 6, 1, "unknown-field", "error"),
    ("environments/nav/prod.yaml", 12, 18, "invalid-value", "error"),
    ("features/aivenator.yaml", 6, 1, "yaml-duplicate-key", "error"),
]


def test_json_reports_every_problem_of_every_file_in_one_run() -> None:
    run = run_cli("validate", MANY, "--format", "json")

    assert run.exit_code == 1
    found = [
        (p["file"], p["line"], p["column"], p["code"], p["severity"]) for p in run.json["problems"]
    ]
    assert found == MANY_PROBLEMS
    assert run.json["summary"] == {
        "files": 5,
        "documents": 4,
        "environments": 0,
        "features": 0,
        "assignments": 0,
        "configs": 0,
        "errors": 6,
        "warnings": 0,
        "notices": 1,
    }


def test_json_output_is_only_json() -> None:
    run = run_cli("-v", "validate", MANY, "--format", "json")

    json.loads(run.stdout)  # raises if anything else reached stdout


def test_text_lists_problems_grouped_by_file_then_a_summary() -> None:
    run = run_cli("validate", MANY)

    assert run.exit_code == 1
    root = os.path.normpath(MANY)
    blocks = run.stdout.rstrip("\n").split("\n\n")
    assert len(blocks) == 6  # five files, then the summary
    assert blocks[0].splitlines() == [
        f"{root}/assignments/aivenator/nav.yaml:4:10: error wrong-type: version: Input should be"
        ' a valid string, got 1.10 (YAML reads it as a number): quote it ("1.10") to keep it'
        " a string",
        f"{root}/assignments/aivenator/nav.yaml:8:7: error unknown-kind: unknown kind"
        " 'Assignmnet' (one of Environment, Feature, Assignment, Config, Rollout)",
    ]
    assert blocks[1] == (
        f"{root}/configs/aivenator/nav-dev.yaml: notice empty-file: the file holds no documents"
    )
    assert blocks[-1] == (
        "5 files, 4 documents (0 environments, 0 features, 0 assignments, 0 configs):"
        " 6 errors, 0 warnings, 1 notice"
    )


def test_github_annotates_each_problem_relative_to_the_workspace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(MANY.parent.parent))

    run = run_cli("validate", MANY, "--format", "github")

    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert lines[0] == (
        "::error file=broken/many-problems/assignments/aivenator/nav.yaml,line=4,col=10,"
        "title=wrong-type::version: Input should be a valid string, got 1.10 (YAML reads it as"
        ' a number): quote it ("1.10") to keep it a string'
    )
    assert lines[2] == (
        "::notice file=broken/many-problems/configs/aivenator/nav-dev.yaml,"
        "title=empty-file::the file holds no documents"
    )
    assert len(lines) == len(MANY_PROBLEMS) + 1
    assert lines[-1].endswith("6 errors, 0 warnings, 1 notice")


def test_github_paths_default_to_the_git_repository_root(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"state/environments/prod.yaml": "kind: [\n"})
    (repo / ".git").mkdir()

    run = run_cli("validate", repo / "state", "--format", "github")

    assert run.stdout.startswith("::error file=state/environments/prod.yaml,line=2,col=1,")


def test_github_escapes_percent_comma_and_colon_in_annotations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path, {"a%b,c:d.yaml": "kind: Feature\napiVersion: 50%\n"})
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))

    run = run_cli("validate", root, "--format", "github")

    assert run.stdout.splitlines()[0] == (
        "::error file=a%25b%2Cc%3Ad.yaml,line=2,col=13,title=api-version::"
        "apiVersion '50%25' is not supported (expected fasit/v1)"
    )


def test_warnings_fail_only_with_strict(tmp_path: Path) -> None:
    # No warning codes exist yet in this stage; a notice must never fail, strict or not.
    root = write_tree(tmp_path, {"environments/prod.yaml": ENVIRONMENT, "empty.yaml": "\n"})

    assert run_cli("validate", root).exit_code == 0
    assert run_cli("validate", root, "--strict").exit_code == 0


def test_missing_path_could_not_run(tmp_path: Path) -> None:
    run = run_cli("validate", tmp_path / "nope")

    assert run.exit_code == 2
    assert run.stdout == ""
    assert "no such directory" in run.stderr


def test_an_unusable_registry_config_could_not_run_even_when_no_chart_is_in_a_registry(
    tmp_path: Path,
) -> None:
    # The registry client is made at the first oci:// fetch; the logins are still read first.
    root = write_tree(tmp_path / "state", {"environments/prod.yaml": ENVIRONMENT})
    config = tmp_path / "config.json"
    config.write_text('{"auths": []}', encoding="utf-8")

    run = run_cli("validate", root, "--registry-config", config)

    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.strip() == (f"fasit: {config}: 'auths' must be an object of registry hosts")


def test_a_crash_of_fasits_own_exits_2_not_1_with_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug in fasit")

    # Stands in for any bug: exit 1 would read as "your state has problems" in CI.
    monkeypatch.setattr("fasit.plan.validate_tree", broken)
    write_tree(tmp_path, {"prod.yaml": ENVIRONMENT})

    run = run_cli("validate", tmp_path)

    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.splitlines()[-1] == (
        "fasit: internal error (a bug in fasit, not in your state): RuntimeError: a bug in fasit"
    )
    assert "Traceback (most recent call last)" in run.stderr


def test_path_that_is_a_file_could_not_run(tmp_path: Path) -> None:
    file = write_tree(tmp_path, {"prod.yaml": ENVIRONMENT}) / "prod.yaml"

    run = run_cli("validate", file)

    assert run.exit_code == 2
    assert "not a directory" in run.stderr


@pytest.mark.parametrize(
    "flags",
    [
        pytest.param(["--format", "xml"], id="unknown format"),
        pytest.param(["--max-files", "0"], id="non-positive limit"),
        pytest.param(["--frobnicate"], id="unknown flag"),
    ],
)
def test_bad_flags_could_not_run(flags: list[str]) -> None:
    run = run_cli("validate", ".", *flags)

    assert run.exit_code == 2
    assert run.stdout == ""


def test_installed_command_exits_with_the_problem_status() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "fasit", "validate", str(MANY), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 1
    assert len(json.loads(completed.stdout)["problems"]) == len(MANY_PROBLEMS)


def test_index_with_bad_yaml_is_index_invalid_and_nothing_else_is_read(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {".fasit.yaml": "include: [\n", "prod.yaml": "kind: ["})

    run = run_cli("validate", root, "--format", "json")

    assert run.exit_code == 1
    assert run.problems() == [(".fasit.yaml", 2, 1, "index-invalid")]


def test_a_missing_in_repo_chart_version_names_the_versions_the_repository_has(
    tmp_path: Path,
) -> None:
    root = write_tree(
        tmp_path / "state",
        state(
            environment("nav", "prod"),
            feature("demo"),
            chart("demo", "1.0.0"),
            chart("demo", "2.0.0"),
            assignment("demo", "1.5.0", {"tenant": "nav"}),
        ),
    )

    run = run_cli("validate", root)

    assert run.exit_code == 1
    assert "error chart-missing" in run.stdout
    assert "(the repository has 1.0.0, 2.0.0)" in run.stdout

"""Templates are deterministic: names whose result differs from run to run are refused, and
a plan gives the same release hashes in every process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import TEMPLATED_FEATURE_YAML as FEATURE_YAML
from tests.helpers import repo_with_template, run_cli

EXAMPLE = Path(__file__).parents[2] / "example-state-repo"


@pytest.mark.parametrize(
    ("name", "template"),
    [
        pytest.param("random", "{{ [1, 2] | random }}", id="random-filter"),
        pytest.param("random", "{{ [[1, 2]] | map('random') | list }}", id="random-by-name"),
        pytest.param(
            "random", "{% if false %}{{ [1] | random }}{% endif %}", id="random-not-taken"
        ),
        pytest.param("lipsum", "{{ lipsum(1) }}", id="lipsum-global"),
        pytest.param("sameas", "{{ env is sameas env }}", id="sameas-test"),
        pytest.param("sameas", "{{ envs | select('sameas', env) | list }}", id="sameas-by-name"),
    ],
)
def test_validate_refuses_a_name_that_is_not_deterministic(
    tmp_path: Path, name: str, template: str
) -> None:
    repo = repo_with_template(tmp_path, template.replace('"', "'"))

    run = run_cli("validate", repo, "--format", "json")

    assert run.exit_code == 1
    assert run.problems() == [(FEATURE_YAML, 7, 26, "render-error")]
    assert (
        f"`{name}` is not available: templates must be deterministic"
        in run.json["problems"][0]["message"]
    )


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("{{ env.items | string }}", id="string-filter"),
        pytest.param("{{ env.items ~ '' }}", id="concatenation"),
        pytest.param("{{ [env.items] }}", id="in-a-list"),
        pytest.param("{{ cycler(1) | pprint }}", id="jinja-object"),
    ],
)
def test_validate_refuses_a_value_holding_a_memory_address(tmp_path: Path, template: str) -> None:
    repo = repo_with_template(tmp_path, template)

    run = run_cli("validate", repo, "--format", "json")

    assert run.exit_code == 1
    assert run.problems() == [(FEATURE_YAML, 7, 26, "render-error")]
    message = run.json["problems"][0]["message"]
    assert "the output holds a memory address ('<" in message
    assert "templates must be deterministic" in message


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("{{ env.keys() - ['project'] }}", id="keys"),
        pytest.param("{{ (env.items() - []) | list }}", id="items"),
    ],
)
def test_validate_refuses_subtracting_from_a_mappings_keys(tmp_path: Path, template: str) -> None:
    repo = repo_with_template(tmp_path, template)

    run = run_cli("validate", repo, "--format", "json")

    assert run.exit_code == 1
    assert run.problems() == [(FEATURE_YAML, 7, 26, "render-error")]
    assert (
        "`-` on a mapping's keys or items gives a set, whose order changes from run to run"
        in (run.json["problems"][0]["message"])
    )


def _plan_with_hash_seed(seed: str) -> list[tuple[str, str, object, object]]:
    completed = subprocess.run(
        [sys.executable, "-m", "fasit", "plan", str(EXAMPLE), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": seed},
    )
    releases = json.loads(completed.stdout)["releases"]
    return [(r["environment"], r["feature"], r["release_hash"], r["values"]) for r in releases]


def test_plan_gives_the_same_release_hashes_and_values_under_any_hash_seed() -> None:
    first = _plan_with_hash_seed("1")

    assert any(release_hash for _, _, release_hash, _ in first)
    assert _plan_with_hash_seed("2") == first

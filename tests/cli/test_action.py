"""action.yml: inputs as documented, no expression spliced into a script, and the validate
step's script run for real (with fasit from this venv) for its exit status and annotations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import BROKEN
from tests.integration.processes import free_port

ROOT = Path(__file__).parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def step(name: str) -> dict[str, object]:
    [found] = [s for s in ACTION["runs"]["steps"] if s.get("name") == name]
    return found


def run_validate_step(tmp_path: Path, path: Path, strict: str) -> subprocess.CompletedProcess[str]:
    """The `fasit validate` step's script, with RUNNER_TEMP holding a venv whose fasit is ours."""
    return run_step("fasit validate", tmp_path, FASIT_PATH=str(path), FASIT_STRICT=strict)


def run_step(name: str, tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """A step's script run by bash, its inputs in `variables`, fasit from this venv."""
    (tmp_path / "fasit-venv" / "bin").mkdir(parents=True)
    (tmp_path / "fasit-venv" / "bin" / "fasit").symlink_to(Path(sys.executable).parent / "fasit")
    script = step(name)["run"]
    environment = {
        **os.environ,
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_WORKSPACE": str(ROOT),
        **variables,
    }
    return subprocess.run(
        ["bash", "-e", "-c", str(script)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_inputs_are_the_mode_its_wait_inputs_and_validates() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {name: spec["default"] for name, spec in ACTION["inputs"].items()} == {
        "mode": "validate",
        "server": "",
        "revision": "",
        "feature": "",
        "timeout": "30m",
        "server-token": "",
        "path": ".",
        "strict": "false",
        "plan-base": "",
        "offline": "false",
        "python-version": "3.11",
    }


def test_offline_input_leaves_oci_charts_unfetched(tmp_path: Path) -> None:
    completed = run_step(
        "fasit validate",
        tmp_path,
        FASIT_PATH=str(BROKEN / "chart-not-checked"),
        FASIT_STRICT="false",
        FASIT_OFFLINE="true",
    )

    assert completed.returncode == 0
    assert "title=chart-not-checked::" in completed.stdout


def test_bad_offline_input_is_refused(tmp_path: Path) -> None:
    completed = run_step(
        "fasit validate", tmp_path, FASIT_PATH=".", FASIT_STRICT="false", FASIT_OFFLINE="yes"
    )

    assert completed.returncode == 2
    assert "input offline must be true or false, not 'yes'" in completed.stdout


def test_no_expression_is_spliced_into_a_script() -> None:
    for each in ACTION["runs"]["steps"]:
        assert "${{" not in str(each.get("run", "")), each["name"]


def test_validate_step_annotates_problems_and_fails(tmp_path: Path) -> None:
    completed = run_validate_step(tmp_path, BROKEN / "unknown-field", "false")

    assert completed.returncode == 1
    assert completed.stdout.startswith(
        "::error file=tests/fixtures/broken/unknown-field/environments/nav/prod.yaml,line=6,col=1,"
        "title=unknown-field::"
    )


@pytest.mark.parametrize(("strict", "exit_code"), [("false", 0), ("true", 1)])
def test_strict_input_makes_warnings_fail(tmp_path: Path, strict: str, exit_code: int) -> None:
    assert run_validate_step(tmp_path, BROKEN / "kind-mismatch", strict).returncode == exit_code


def test_bad_strict_input_is_refused(tmp_path: Path) -> None:
    completed = run_validate_step(tmp_path, BROKEN / "valid", "yes")

    assert completed.returncode == 2
    assert "input strict must be true or false" in completed.stdout


def test_plan_step_runs_only_with_a_plan_base() -> None:
    assert step("fasit plan")["if"] == (
        "${{ !cancelled() && inputs.mode != 'wait' && inputs.plan-base != '' }}"
    )


def test_mode_wait_runs_only_the_wait_step() -> None:
    assert step("fasit validate")["if"] == "${{ inputs.mode != 'wait' }}"
    assert step("fasit wait")["if"] == "${{ inputs.mode == 'wait' }}"


def test_an_unknown_mode_is_refused(tmp_path: Path) -> None:
    completed = run_step(
        "fasit validate", tmp_path, FASIT_MODE="deploy", FASIT_PATH=".", FASIT_STRICT="false"
    )

    assert completed.returncode == 2
    assert "input mode must be validate or wait, not 'deploy'" in completed.stdout


def test_wait_without_a_server_is_refused(tmp_path: Path) -> None:
    completed = run_step("fasit wait", tmp_path, FASIT_SERVER="", FASIT_TIMEOUT="30m")

    assert completed.returncode == 2
    assert "input server is required with mode wait" in completed.stdout


def test_wait_step_runs_fasit_wait_with_the_token_in_a_private_file(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    completed = run_step(
        "fasit wait",
        tmp_path,
        FASIT_SERVER=url,
        FASIT_REVISION="abc123",
        FASIT_TIMEOUT="90s",
        FASIT_SERVER_TOKEN="s3cret",
    )

    assert completed.returncode == 2
    assert f"fasit wait: cannot reach {url}: the connection failed" in completed.stderr
    token_file = tmp_path / "fasit-server-token"
    assert token_file.read_text(encoding="utf-8") == "s3cret\n"
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert "s3cret" not in completed.stdout + completed.stderr

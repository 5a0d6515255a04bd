"""What nais/fasit's Feature.yaml dialect has that fasit refuses on purpose says why, and what
to write instead, where it is written."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli, write_tree
from tests.states import assignment, chart, environment, feature, state


def test_a_target_in_feature_yaml_is_refused_saying_where_the_labels_belong(
    tmp_path: Path,
) -> None:
    files = state(
        chart("web", "1.0.0"),
        feature("web"),
        environment("nav", "prod"),
        assignment("web", "1.0.0", {}),
    )
    feature_yaml = "charts/web/1.0.0/Feature.yaml"
    files[feature_yaml] = "environmentKinds: [tenant]\ntarget:\n  env: prod\n"
    write_tree(tmp_path / "repo", files)

    run = run_cli("validate", tmp_path / "repo")

    assert run.exit_code == 1
    assert f"{feature_yaml}:2:1: error feature-yaml-invalid: field 'target' is not supported" in (
        run.stdout
    )
    assert "put these labels in the assignments' `target`" in run.stdout

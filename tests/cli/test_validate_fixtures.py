"""`fasit validate` on the broken-repo fixtures: one directory per problem code.

Each case names the problem a user must see: file, line, column, code, and the exit status.
Codes that need trees git cannot hold (symlinks, huge or binary files, fifos) are generated
in test_validate_limits.py; together they cover every ProblemCode.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fasit.state import ProblemCode
from tests.helpers import BROKEN, Run, run_cli
from tests.integration.test_oci_charts import PROVEN_CODES as REGISTRY_CODES


def validate(*args: str | Path) -> Run:
    """`fasit validate --offline`: the fixtures' oci:// registry is not a real host."""
    return run_cli("validate", "--offline", *args)


COMMITTED = [
    pytest.param("yaml-syntax", "environments/nav/prod.yaml", 8, 7, id="yaml-syntax"),
    pytest.param(
        "yaml-duplicate-key", "assignments/aivenator/nav.yaml", 7, 1, id="yaml-duplicate-key"
    ),
    pytest.param("yaml-alias-limit", "environments/nav/bomb.yaml", 9, 6, id="yaml-alias-limit"),
    pytest.param("yaml-too-deep", "configs/aivenator/nav-prod.yaml", 6, 72, id="yaml-too-deep"),
    pytest.param(
        "yaml-unsupported-tag", "configs/aivenator/nav-prod.yaml", 6, 13, id="yaml-unsupported-tag"
    ),
    pytest.param("not-a-mapping", "features/aivenator.yaml", 1, 1, id="not-a-mapping"),
    pytest.param("api-version", "features/aivenator.yaml", 1, 13, id="api-version"),
    pytest.param("unknown-kind", "features/aivenator.yaml", 2, 7, id="unknown-kind"),
    pytest.param("unknown-field", "environments/nav/prod.yaml", 6, 1, id="unknown-field"),
    pytest.param("missing-field", "assignments/aivenator/nav.yaml", 1, 1, id="missing-field"),
    pytest.param("wrong-type", "assignments/aivenator/nav.yaml", 4, 10, id="wrong-type"),
    pytest.param("invalid-value", "environments/nav/prod.yaml", 5, 18, id="invalid-value"),
    pytest.param("index-invalid", ".fasit.yaml", 3, 5, id="index-invalid"),
    # Cross-file checks
    pytest.param("unknown-feature", "assignments/aivenator/nav.yaml", 3, 10, id="unknown-feature"),
    pytest.param(
        "unknown-environment", "configs/aivenator/nav-prd.yaml", 4, 14, id="unknown-environment"
    ),
    pytest.param("second-management", "environments/nav/mgmt2.yaml", 5, 18, id="second-management"),
    pytest.param("reserved-value-key", "environments/nav/prod.yaml", 9, 3, id="reserved-value-key"),
    pytest.param("unknown-rollout", "features/aivenator.yaml", 5, 10, id="unknown-rollout"),
    # Charts and Feature.yaml
    pytest.param("chart-missing", "assignments/aivenator/nav.yaml", 4, 10, id="chart-missing"),
    pytest.param(
        "chart-incomplete", "assignments/aivenator/nav.yaml", 4, 10, id="chart-incomplete"
    ),
    pytest.param(
        "chart-version-mismatch",
        "charts/aivenator/1.0.0/Chart.yaml",
        3,
        10,
        id="chart-version-mismatch",
    ),
    pytest.param(
        "chart-yaml-invalid", "charts/aivenator/1.0.0/Chart.yaml", 1, 1, id="chart-yaml-invalid"
    ),
    pytest.param(
        "chart-values-invalid",
        "charts/aivenator/1.0.0/values.yaml",
        2,
        8,
        id="chart-values-invalid",
    ),
    pytest.param(
        "chart-schema-invalid",
        "charts/aivenator/1.0.0/values.schema.json",
        3,
        39,
        id="chart-schema-invalid",
    ),
    pytest.param(
        "unknown-dependency", "charts/aivenator/1.0.0/Feature.yaml", 9, 13, id="unknown-dependency"
    ),
    pytest.param(
        "dependency-cycle", "charts/kafka-operator/0.9.0/Feature.yaml", 3, 13, id="dependency-cycle"
    ),
    # Config against Feature.yaml
    pytest.param(
        "config-undeclared", "configs/aivenator/nav-prod.yaml", 7, 3, id="config-undeclared"
    ),
    pytest.param(
        "config-wrong-type", "configs/aivenator/nav-prod.yaml", 6, 13, id="config-wrong-type"
    ),
    pytest.param(
        "config-secret-inline", "configs/aivenator/nav-prod.yaml", 6, 13, id="config-secret-inline"
    ),
    # Rendering every (environment, feature)
    pytest.param("render-error", "charts/aivenator/1.0.0/Feature.yaml", 7, 26, id="render-error"),
    pytest.param(
        "value-key-conflict",
        "charts/aivenator/1.0.0/Feature.yaml",
        6,
        26,
        id="value-key-conflict",
    ),
    pytest.param("missing-config", "assignments/aivenator/nav.yaml", 4, 10, id="missing-config"),
    pytest.param(
        "unmatched-target-label",
        "assignments/aivenator/nav.yaml",
        5,
        28,
        id="unmatched-target-label",
    ),
    pytest.param("values-invalid", "configs/aivenator/nav-prod.yaml", 6, 13, id="values-invalid"),
    pytest.param(
        "missing-dependency", "assignments/aivenator/nav.yaml", 4, 10, id="missing-dependency"
    ),
]

# Warnings pass unless --strict; notices always pass.
NOT_FAILING = [
    pytest.param(
        "kind-mismatch", "assignments/aivenator/nav.yaml", 5, 9, "warning", id="kind-mismatch"
    ),
    pytest.param(
        "config-unused", "configs/aivenator/acme-prod.yaml", 4, 14, "warning", id="config-unused"
    ),
    pytest.param(
        "protected-unassigned",
        "features/naisd.yaml",
        6,
        12,
        "warning",
        id="protected-unassigned",
    ),
    pytest.param(
        "chart-not-checked", "features/aivenator.yaml", 4, 8, "notice", id="chart-not-checked"
    ),
    pytest.param("empty-file", "features/aivenator.yaml", None, None, "notice", id="empty-file"),
    pytest.param("empty-wave", "rollouts/default.yaml", 6, 13, "warning", id="empty-wave"),
]

# Generated in test_validate_limits.py, because a committed fixture cannot hold them.
GENERATED = {
    ProblemCode.SYMLINK,
    ProblemCode.FILE_TOO_LARGE,
    ProblemCode.TOO_MANY_FILES,
    ProblemCode.BINARY_FILE,
    ProblemCode.UNREADABLE_FILE,
}


@pytest.mark.parametrize(("code", "file", "line", "column"), COMMITTED)
def test_broken_fixture_reports_its_code_where_it_is_and_fails(
    code: str, file: str, line: int, column: int
) -> None:
    run = validate(BROKEN / code, "--format", "json")

    assert run.exit_code == 1
    assert run.problems() == [(file, line, column, code)]


@pytest.mark.parametrize(("code", "file", "line", "column", "severity"), NOT_FAILING)
def test_warnings_and_notices_are_reported_and_pass(
    code: str, file: str, line: int | None, column: int | None, severity: str
) -> None:
    run = validate(BROKEN / code, "--format", "json")

    assert run.exit_code == 0
    assert run.problems() == [(file, line, column, code)]
    assert run.json["problems"][0]["severity"] == severity


@pytest.mark.parametrize(
    ("code", "exit_code"),
    [
        pytest.param("kind-mismatch", 1, id="warning fails"),
        pytest.param("chart-not-checked", 0, id="notice passes"),
    ],
)
def test_strict_fails_on_warnings_not_notices(code: str, exit_code: int) -> None:
    assert validate(BROKEN / code, "--strict").exit_code == exit_code


def test_duplicate_is_reported_at_both_definitions() -> None:
    run = validate(BROKEN / "duplicate", "--format", "json")

    assert run.exit_code == 1
    assert [(p["file"], p["line"], p["column"], p["message"]) for p in run.json["problems"]] == [
        (
            "environments/nav/prod-copy.yaml",
            4,
            7,
            "duplicate environment 'nav/prod': defined again at environments/nav/prod.yaml:4",
        ),
        (
            "environments/nav/prod.yaml",
            4,
            7,
            "duplicate environment 'nav/prod':"
            " already defined at environments/nav/prod-copy.yaml:4",
        ),
    ]


def test_ambiguity_names_both_files_and_the_environments_affected() -> None:
    run = validate(BROKEN / "ambiguous-assignment", "--format", "json")

    assert run.exit_code == 1
    assert [(p["file"], p["line"], p["column"], p["code"]) for p in run.json["problems"]] == [
        ("assignments/aivenator/nav.yaml", 5, 9, "ambiguous-assignment"),
        ("assignments/aivenator/rollout.yaml", 5, 9, "ambiguous-assignment"),
    ]
    assert run.json["problems"][0]["message"] == (
        "ambiguous with assignments/aivenator/rollout.yaml:5: both have 1 target label and"
        " priority 0 and match nav/prod, but they differ in version ('1.0.0' vs '1.1.0');"
        " make one more specific or give it a higher priority"
    )


def test_an_environment_in_two_waves_is_reported_at_both() -> None:
    run = validate(BROKEN / "wave-overlap", "--format", "json")

    assert run.exit_code == 1
    assert [(p["file"], p["line"], p["column"], p["message"]) for p in run.json["problems"]] == [
        (
            "rollouts/default.yaml",
            6,
            13,
            "wave 'nav' and wave 'prod' (at rollouts/default.yaml:8) both select nav/prod:"
            " an environment is in one wave only",
        ),
        (
            "rollouts/default.yaml",
            8,
            13,
            "wave 'prod' and wave 'nav' (at rollouts/default.yaml:6) both select nav/prod:"
            " an environment is in one wave only",
        ),
    ]


def test_invalid_feature_yaml_reports_each_field_in_the_chart() -> None:
    run = validate(BROKEN / "feature-yaml-invalid", "--format", "json")

    assert run.exit_code == 1
    assert [(p["file"], p["line"], p["code"], p["message"]) for p in run.json["problems"]] == [
        (
            "charts/aivenator/1.0.0/Feature.yaml",
            1,
            "feature-yaml-invalid",
            "missing required field 'environmentKinds'",
        ),
        (
            "charts/aivenator/1.0.0/Feature.yaml",
            1,
            "feature-yaml-invalid",
            "unknown field 'environmentKind' (did you mean 'environmentKinds'?)",
        ),
    ]


def test_secret_values_never_appear_in_messages() -> None:
    run = validate(BROKEN / "config-secret-inline")

    assert "s3cr3t-t0ken" not in run.stdout + run.stderr


def test_every_problem_code_is_proven_by_a_fixture() -> None:
    proven = (
        {param.values[0] for param in [*COMMITTED, *NOT_FAILING]}
        | GENERATED
        | {"duplicate", "ambiguous-assignment", "feature-yaml-invalid", "wave-overlap"}
        | {code.value for code in REGISTRY_CODES}
    )

    assert proven == set(ProblemCode)


def test_valid_fixture_is_clean() -> None:
    run = validate(BROKEN / "valid")

    assert run.exit_code == 0
    assert run.stdout.endswith(
        "4 files, 4 documents (1 environment, 1 feature, 1 assignment, 1 config):"
        " 0 errors, 0 warnings, 1 notice\n"
    )

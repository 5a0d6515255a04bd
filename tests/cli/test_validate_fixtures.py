"""`fasit validate` on the broken-repo fixtures: one directory per problem code.

Each case names the problem a user must see: file, line, column, code, and the exit status.
Codes that need trees git cannot hold (symlinks, huge or binary files, fifos) are generated
in test_validate_limits.py; together they cover every ProblemCode.
"""

from __future__ import annotations

import pytest

from fasit.state import ProblemCode
from tests.helpers import BROKEN, run_cli

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
    run = run_cli("validate", BROKEN / code, "--format", "json")

    assert run.exit_code == 1
    assert run.problems() == [(file, line, column, code)]


def test_empty_file_is_a_notice_and_still_passes() -> None:
    run = run_cli("validate", BROKEN / "empty-file", "--format", "json")

    assert run.exit_code == 0
    assert run.problems() == [("features/aivenator.yaml", None, None, "empty-file")]
    assert run.json["problems"][0]["severity"] == "notice"


def test_every_problem_code_is_proven_by_a_fixture() -> None:
    proven = {param.values[0] for param in COMMITTED} | GENERATED | {ProblemCode.EMPTY_FILE}

    assert proven == set(ProblemCode)


def test_valid_fixture_is_clean() -> None:
    run = run_cli("validate", BROKEN / "valid")

    assert run.exit_code == 0
    assert run.stdout == (
        "4 files, 4 documents (1 environment, 1 feature, 1 assignment, 1 config):"
        " 0 errors, 0 warnings, 0 notices\n"
    )

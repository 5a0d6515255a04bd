"""Validate's render checks: the per-release outcomes of a plan, as problems.

Every (environment, feature) pair is planned; what stops a release is reported once per
place and cause, naming the environments it affects (a missing key in one template fails
hundreds of environments the same way). Chart, kind and config problems are reported by the
chart-stage checks already, so only what rendering finds is added here.
"""

from __future__ import annotations

from collections import defaultdict

from fasit.plan.release import DesiredRelease
from fasit.plan.revision_plan import Plan
from fasit.state import Problem, ProblemCode, some

__all__ = ["release_problems"]

_REPORTED_HERE = frozenset(
    {
        ProblemCode.RENDER_ERROR,
        ProblemCode.VALUE_KEY_CONFLICT,
        ProblemCode.MISSING_CONFIG,
        ProblemCode.MISSING_DEPENDENCY,
        ProblemCode.VALUES_INVALID,
    }
)


def release_problems(plan: Plan) -> list[Problem]:
    """One problem per (code, place, message), listing the environments it affects."""
    groups: dict[tuple[ProblemCode, str, int | None, int | None, str, str, str], list[str]]
    groups = defaultdict(list)
    for release in plan.releases.values():
        if release.code not in _REPORTED_HERE:
            continue
        file, line, column = _place(release)
        key = (release.code, file, line, column, release.feature_name, release.version)
        groups[(*key, release.message)].append(release.environment_id)
    return [
        Problem(
            file, line, column, code, f"{feature} {version} on {some(sorted(where))}: {message}"
        )
        for (code, file, line, column, feature, version, message), where in groups.items()
    ]


def _place(release: DesiredRelease) -> tuple[str, int | None, int | None]:
    """The Feature.yaml value at fault, else the winning assignment's version."""
    if release.problem is not None and release.problem.line is not None:
        return release.problem.file, release.problem.line, release.problem.column
    position = release.assignment.position("version")
    return release.assignment.file, position.line, position.column

"""The planner and a chart's values.schema.json: what is checked, what status, where it points."""

from __future__ import annotations

import json
from pathlib import Path

from fasit.plan import ReleaseStatus
from fasit.state import ProblemCode
from tests.states import (
    assignment,
    build,
    chart,
    computed,
    config,
    configurable,
    environment,
    feature,
    release,
    state,
)

STRICT = {
    "type": "object",
    "properties": {"replicas": {"type": "integer", "maximum": 10}, "name": {"type": "string"}},
    "additionalProperties": False,
}


def _state(replicas: object, schema: object = STRICT) -> dict[str, str]:
    app = chart(
        "app",
        "1.0.0",
        {"replicas": configurable("int"), "name": computed("{{ env.name }}-app")},
    )
    app["charts/app/1.0.0/values.schema.json"] = json.dumps(schema)
    return state(
        environment("nav", "prod"),
        environment("nav", "dev"),
        feature("app"),
        assignment("app", "1.0.0", {"tenant": "nav"}),
        app,
        config("app", "nav/prod", {"replicas": replicas}),
    )


def test_values_a_strict_schema_accepts_are_planned(tmp_path: Path) -> None:
    result = build(tmp_path, _state(3))

    prod = release(result, "nav/prod", "app")
    assert prod.status is ReleaseStatus.PLANNED, prod.message
    assert prod.values == {"replicas": 3, "name": "prod-app"}  # exactly what helm gets


def test_the_opt_in_metadata_block_is_checked_like_any_value_helm_gets(tmp_path: Path) -> None:
    files = _state(3)
    declared = json.loads(files["charts/app/1.0.0/Feature.yaml"])
    files["charts/app/1.0.0/Feature.yaml"] = json.dumps({**declared, "metadataValues": True})

    result = build(tmp_path, files)

    prod = release(result, "nav/prod", "app")
    assert prod.status is ReleaseStatus.VALUES_INVALID
    assert "fasit" in prod.message


def test_values_the_schema_refuses_are_values_invalid_at_the_config_line(tmp_path: Path) -> None:
    result = build(tmp_path, _state(12))

    prod, dev = release(result, "nav/prod", "app"), release(result, "nav/dev", "app")
    assert (prod.status, dev.status) == (ReleaseStatus.VALUES_INVALID, ReleaseStatus.PLANNED)
    assert prod.code is ProblemCode.VALUES_INVALID
    assert prod.values == {}
    assert prod.message.endswith("replicas: must be <= 10")
    assert prod.problem is not None
    assert (prod.problem.file, prod.problem.line) == ("configs/app/nav-prod.yaml", 5)


def test_a_computed_value_the_schema_refuses_points_at_its_template(tmp_path: Path) -> None:
    schema = {"properties": {"name": {"pattern": "^[a-z]+$"}}}
    result = build(tmp_path, _state(3, schema))

    prod = release(result, "nav/prod", "app")
    assert prod.status is ReleaseStatus.VALUES_INVALID
    assert prod.message.endswith("name: must match the pattern '^[a-z]+$'")
    assert prod.problem is not None
    assert prod.problem.file == "charts/app/1.0.0/Feature.yaml"

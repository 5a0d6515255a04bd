"""The values check against a chart's values.schema.json (and its subcharts'), pure.

Each case is also rendered by Helm's engine (helm-python-sdk): fasit must refuse what helm
refuses at install, and accept what it accepts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import helm_python
import pytest

from fasit.charts.archive import ArchiveBudget, ArchiveLimits
from fasit.charts.chart_schema import ChartSchema, read_chart_schema
from fasit.plan.schema_check import check_values, violations_message
from fasit.state import LoadLimits

STRICT_IMAGE = {
    "type": "object",
    "properties": {
        "image": {
            "type": "object",
            "properties": {
                "pullPolicy": {"enum": ["Always", "IfNotPresent"]},
                "tag": {"type": "string"},
            },
            "required": ["tag"],
            "additionalProperties": False,
        }
    },
}
REDIS = {
    "Chart.yaml": "apiVersion: v2\nname: redis\nversion: 0.1.0\n",
    "values.yaml": "port: 6379\n",
    "values.schema.json": json.dumps(
        {
            "type": "object",
            "properties": {
                "port": {"type": "integer", "maximum": 65535},
                "enabled": {"type": "boolean"},
                "global": {"type": "object"},
            },
            "additionalProperties": False,
        }
    ),
}


def _chart(
    root: Path,
    schema: object,
    values_yaml: str = "",
    subcharts: dict[str, dict[str, str]] | None = None,
    dependencies: str = "",
) -> dict[str, bytes]:
    """A chart `app` on disk (for helm) and its files by path (for fasit)."""
    files = {
        "Chart.yaml": f"apiVersion: v2\nname: app\nversion: 1.0.0\n{dependencies}",
        "values.yaml": values_yaml,
        "values.schema.json": json.dumps(schema),
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n",
    }
    for name, sub in (subcharts or {}).items():
        files.update({f"charts/{name}/{path}": text for path, text in sub.items()})
    for path, text in files.items():
        (root / "app" / path).parent.mkdir(parents=True, exist_ok=True)
        (root / "app" / path).write_text(text)
    return {path: text.encode() for path, text in files.items()}


def _schema(files: dict[str, bytes]) -> ChartSchema:
    tree, problems = read_chart_schema(
        files, "charts/app/1.0.0", LoadLimits(), ArchiveBudget(ArchiveLimits())
    )
    assert tree is not None, problems
    return tree


def _helm_accepts(root: Path, values: dict[str, Any]) -> bool:
    try:
        helm_python.Chart.load(root / "app").render(values, name="app", namespace="app")
    except helm_python.HelmValuesError:
        return False
    return True


def _check(root: Path, files: dict[str, bytes], values: dict[str, Any]) -> list[str]:
    """What fasit says of `values`, after checking helm agrees on whether they pass."""
    shown = [violation.shown for violation in check_values(_schema(files), values)]
    assert _helm_accepts(root, values) == (not shown), shown
    return shown


def test_a_property_a_strict_schema_does_not_declare_is_refused(tmp_path: Path) -> None:
    files = _chart(tmp_path, STRICT_IMAGE, "image:\n  tag: v1\n")

    shown = _check(tmp_path, files, {"image": {"pullPoilcy": "Always"}})

    assert shown == ["image: additional property 'pullPoilcy' is not allowed"]


def test_a_value_outside_an_enum_names_the_path_and_the_allowed_values(tmp_path: Path) -> None:
    files = _chart(tmp_path, STRICT_IMAGE, "image:\n  tag: v1\n")

    shown = _check(tmp_path, files, {"image": {"pullPolicy": "Never"}})

    assert shown == ["image.pullPolicy: must be one of ['Always', 'IfNotPresent']"]


def test_values_merged_over_the_defaults_that_match_pass(tmp_path: Path) -> None:
    files = _chart(tmp_path, STRICT_IMAGE, "image:\n  tag: v1\n  pullPolicy: Always\n")

    assert _check(tmp_path, files, {"image": {"pullPolicy": "IfNotPresent"}}) == []


def test_a_ref_to_defs_is_followed(tmp_path: Path) -> None:
    schema = {
        "$defs": {"port": {"type": "integer", "minimum": 1}},
        "properties": {"port": {"$ref": "#/$defs/port"}},
    }
    files = _chart(tmp_path, schema, "port: 80\n")

    assert _check(tmp_path, files, {"port": 0}) == ["port: must be >= 1"]


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#"},
        {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
    ],
    ids=["to itself", "through two definitions"],
)
def test_a_ref_cycle_is_refused_as_helm_refuses_it(tmp_path: Path, schema: object) -> None:
    files = _chart(tmp_path, schema, "port: 80\n")

    shown = _check(tmp_path, files, {"port": 1})

    assert shown == ["(top level): the schema's $refs form a cycle that never reaches a rule"]


def test_a_required_property_the_values_lack_is_named(tmp_path: Path) -> None:
    files = _chart(tmp_path, STRICT_IMAGE)

    shown = _check(tmp_path, files, {"image": {"pullPolicy": "Always"}})

    assert shown == ["image: missing required property 'tag'"]


def test_a_null_deletes_the_default_before_the_check(tmp_path: Path) -> None:
    files = _chart(tmp_path, STRICT_IMAGE, "image:\n  tag: v1\n")

    shown = _check(tmp_path, files, {"image": {"tag": None}})

    assert shown == ["image: missing required property 'tag'"]


def test_a_subcharts_schema_checks_its_section_under_its_alias(tmp_path: Path) -> None:
    files = _chart(
        tmp_path,
        {"type": "object"},
        subcharts={"redis": REDIS},
        dependencies="dependencies:\n  - {name: redis, version: 0.1.0, alias: cache}\n",
    )

    shown = _check(tmp_path, files, {"cache": {"port": 70000, "extra": 1}})

    assert shown == [
        "cache: additional property 'extra' is not allowed",
        "cache.port: must be <= 65535",
    ]


def test_a_subchart_its_condition_disables_is_not_checked(tmp_path: Path) -> None:
    files = _chart(
        tmp_path,
        {"type": "object"},
        subcharts={"redis": REDIS},
        dependencies="dependencies:\n  - {name: redis, version: 0.1.0, condition: redis.enabled}\n",
    )

    assert _check(tmp_path, files, {"redis": {"port": "x", "enabled": False}}) == []


def test_a_subchart_gets_the_parents_globals(tmp_path: Path) -> None:
    strict = {**REDIS, "values.schema.json": json.dumps({"additionalProperties": False})}
    files = _chart(tmp_path, {"type": "object"}, subcharts={"redis": strict})

    # Helm adds `global` to every subchart's values: a schema that forbids it always fails.
    assert _check(tmp_path, files, {"global": {"domain": "example.net"}}) == [
        "redis: additional property 'global' is not allowed",
        "redis: additional property 'port' is not allowed",
    ]


def test_the_draft_the_schema_declares_is_used(tmp_path: Path) -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "dependentRequired": {"tls": ["certificate"]},
    }
    files = _chart(tmp_path, schema)

    shown = _check(tmp_path, files, {"tls": True})

    assert shown == ["(top level): missing property 'certificate', required when 'tls' is set"]


@pytest.mark.parametrize("secret", ["hunter2-s3cr3t", 424242])
def test_a_violation_never_shows_the_value(tmp_path: Path, secret: object) -> None:
    schema = {"properties": {"token": {"type": "boolean", "enum": [True]}}}
    files = _chart(tmp_path, schema)

    message = violations_message(check_values(_schema(files), {"token": secret}))

    assert str(secret) not in message
    assert "token: must be of type 'boolean'" in message


def test_the_message_shows_a_few_violations_and_counts_the_rest(tmp_path: Path) -> None:
    schema = {"additionalProperties": False}
    files = _chart(tmp_path, schema)

    message = violations_message(check_values(_schema(files), dict.fromkeys("abcde", 1)))

    assert message == (
        "values do not match the chart's values.schema.json:"
        " (top level): additional property 'a' is not allowed;"
        " (top level): additional property 'b' is not allowed;"
        " (top level): additional property 'c' is not allowed; and 2 more"
    )


def test_a_schema_that_declares_no_draft_is_read_as_helm_4_reads_it(tmp_path: Path) -> None:
    # Draft 2020-12, not 7: Helm's engine enforces `dependentRequired` without `$schema`.
    files = _chart(tmp_path, {"dependentRequired": {"tls": ["certificate"]}})

    shown = _check(tmp_path, files, {"tls": True})

    assert shown == ["(top level): missing property 'certificate', required when 'tls' is set"]


def test_a_strict_parent_schema_sees_every_subcharts_section(tmp_path: Path) -> None:
    # Helm coalesces each subchart's defaults (and `global`) under its key before the
    # parent's schema is checked, so the key is there even when no value sets it.
    files = _chart(tmp_path, {"additionalProperties": False}, subcharts={"redis": REDIS})

    assert _check(tmp_path, files, {}) == [
        "(top level): additional property 'redis' is not allowed"
    ]


def test_a_null_without_a_default_to_delete_is_checked_as_null(tmp_path: Path) -> None:
    files = _chart(tmp_path, {"properties": {"a": {"type": "string"}}})

    assert _check(tmp_path, files, {"a": None}) == ["a: must be of type 'string'"]


def test_keys_below_a_secret_value_are_masked_in_the_message(tmp_path: Path) -> None:
    # A computed map that read a secret may have made a key of it.
    schema = {
        "properties": {
            "creds": {"additionalProperties": False},
            "tokens": {"additionalProperties": {"type": "integer"}},
        }
    }
    files = _chart(tmp_path, schema)
    values = {"creds": {"hunter2": 1}, "tokens": {"s3cr3t": "x"}}

    message = violations_message(check_values(_schema(files), values), {"creds", "tokens"})

    assert "hunter2" not in message
    assert "s3cr3t" not in message
    assert "creds: additional property '***' is not allowed" in message
    assert "tokens.***: must be of type 'integer'" in message


def test_yaml_keys_that_are_not_text_are_checked_as_helm_reads_them(tmp_path: Path) -> None:
    schema = {"properties": {"ports": {"propertyNames": {"pattern": "^[a-z]+$"}}}}
    files = _chart(tmp_path, schema, "ports:\n  8080: http\n  true: yes\n")

    # 8080 is "8080" (refused), true is "true" (accepted), as in helm.
    assert _check(tmp_path, files, {}) == ["ports: a key must match the pattern '^[a-z]+$'"]

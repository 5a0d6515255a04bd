"""Reading what the values check needs from a chart: defaults, schema, subcharts (dirs, .tgz)."""

from __future__ import annotations

from pathlib import Path

import helm_python
import pytest

from fasit.charts.archive import ArchiveBudget, ArchiveLimits
from fasit.charts.chart_schema import ChartSchema, read_chart_schema
from fasit.state import LoadLimits, Problem
from tests.unit.charts.test_archive import packaged

WHERE = "charts/app/1.0.0"
CHART_YAML = b"apiVersion: v2\nname: app\nversion: 1.0.0\n"


def _read(
    files: dict[str, bytes], limits: ArchiveLimits | None = None
) -> tuple[ChartSchema | None, list[Problem]]:
    budget = ArchiveBudget(limits or ArchiveLimits())
    return read_chart_schema({"Chart.yaml": CHART_YAML, **files}, WHERE, LoadLimits(), budget)


def _problems(files: dict[str, bytes]) -> list[tuple[str, int | None, int | None, str, str]]:
    tree, problems = _read(files)
    assert tree is None
    return [(p.file, p.line, p.column, p.code.value, p.message) for p in problems]


def test_a_schema_that_is_not_json_is_a_problem_of_its_file_with_line_and_column() -> None:
    found = _problems({"values.schema.json": b'{\n  "type": object\n}\n'})

    assert found == [
        (
            f"{WHERE}/values.schema.json",
            2,
            11,
            "chart-schema-invalid",
            "not JSON: Expecting value",
        )
    ]


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000, b'{"properties": {"a": ' * 200 + b"{}" + b"}}" * 200],
    ids=["past what the JSON parser follows", "past what the schema check follows"],
)
def test_a_schema_nested_too_deeply_is_a_problem_of_its_file(content: bytes) -> None:
    found = _problems({"values.schema.json": content})

    assert found == [
        (
            f"{WHERE}/values.schema.json",
            None,
            None,
            "chart-schema-invalid",
            "nested too deeply for fasit to check",
        )
    ]


def test_a_schema_its_draft_refuses_is_a_problem_at_the_bad_keyword() -> None:
    found = _problems({"values.schema.json": b'{\n  "properties": {"a": {"minimum": "one"}}\n}\n'})

    assert [(file, line, code) for file, line, _, code, _ in found] == [
        (f"{WHERE}/values.schema.json", 2, "chart-schema-invalid")
    ]
    assert "draft/2020-12" in found[0][4]
    assert "at properties/a/minimum" in found[0][4]


def test_values_yaml_that_is_not_a_mapping_is_a_problem_of_its_file() -> None:
    found = _problems({"values.yaml": b"- a\n- b\n"})

    assert found == [
        (f"{WHERE}/values.yaml", 1, 1, "chart-values-invalid", "expected one YAML mapping")
    ]


def test_a_subchart_directory_is_read_under_its_alias_with_its_condition() -> None:
    tree, problems = _read(
        {
            "Chart.yaml": CHART_YAML
            + b"dependencies:\n  - {name: redis, alias: cache, condition: cache.on}\n",
            "charts/redis/Chart.yaml": b"name: redis\nversion: 0.1.0\n",
            "charts/redis/values.yaml": b"port: 6379\n",
        }
    )

    assert problems == []
    assert tree is not None
    [sub] = tree.subcharts
    assert (sub.key, sub.condition, sub.chart.name, sub.chart.defaults) == (
        "cache",
        "cache.on",
        "redis",
        {"port": 6379},
    )


def test_a_subchart_vendored_by_helm_as_tgz_is_read_from_the_nested_archive(
    tmp_path: Path,
) -> None:
    redis = tmp_path / "redis"
    (redis / "templates").mkdir(parents=True)
    (redis / "Chart.yaml").write_text("apiVersion: v2\nname: redis\nversion: 0.1.0\n")
    (redis / "values.yaml").write_text("port: 6379\n")
    (redis / "values.schema.json").write_text('{"type": "object"}')
    vendored = Path(helm_python.package(redis, destination=tmp_path)).read_bytes()

    tree, problems = _read({"charts/redis-0.1.0.tgz": vendored})

    assert problems == []
    assert tree is not None
    [sub] = tree.subcharts
    assert (sub.key, sub.chart.defaults) == ("redis", {"port": 6379})
    assert sub.chart.schema_file == f"{WHERE}/charts/redis-0.1.0.tgz/redis/values.schema.json"


def test_nested_archives_count_against_the_limits_of_the_whole_tree() -> None:
    inner = packaged({f"redis/templates/{n}.yaml": b"x" for n in range(6)})

    tree, problems = _read({"charts/redis-0.1.0.tgz": inner}, ArchiveLimits(max_members=5))

    assert tree is None
    assert [(p.file, p.code.value) for p in problems] == [
        (f"{WHERE}/charts/redis-0.1.0.tgz", "chart-incomplete")
    ]
    assert "more than 5 files" in problems[0].message


def test_subcharts_nested_past_the_depth_limit_are_a_problem() -> None:
    deep = "/".join(["charts/x"] * 6)

    _, problems = _read({f"{deep}/Chart.yaml": b"name: x\nversion: 1.0.0\n"})

    assert [p.message for p in problems] == ["subcharts nest deeper than 5 levels"]

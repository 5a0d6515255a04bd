"""A chart's values.schema.json, and its vendored subchart's, enforced at validate and plan time.

The chart is packaged by Helm's own engine with its subchart vendored as `charts/*.tgz`, and
pushed to a real registry; Helm's engine renders the same archive with the same values as the
oracle for what helm will accept at install.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python
import pytest

from tests.helpers import run_cli, write_tree
from tests.integration.oci_registry import Chart, OciRegistry
from tests.states import assignment, config, environment, feature, state

_FEATURE_YAML = """\
environmentKinds: [tenant]
values:
  image.pullPolicy:
    config: {type: string}
  cache.port:
    config: {type: int}
"""
_SCHEMA = """\
{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "image": {
      "type": "object",
      "properties": {"pullPolicy": {"enum": ["Always", "IfNotPresent"]}},
      "additionalProperties": false
    }
  }
}
"""
_SUBCHART_SCHEMA = """\
{
  "type": "object",
  "properties": {
    "port": {"type": "integer", "maximum": 65535},
    "global": {"type": "object"}
  },
  "additionalProperties": false
}
"""


@dataclass
class _Archive(Chart):
    """A chart already packaged (by helm, with its subchart vendored)."""

    data: bytes = b""

    def archive(self) -> bytes:
        return self.data


def _shop(scratch: Path) -> _Archive:
    """shop 1.0.0 with a schema, and redis 0.1.0 (schema of its own) vendored as `cache`."""
    chart_yaml = (
        "apiVersion: v2\nname: shop\nversion: 1.0.0\n"
        "dependencies:\n  - {name: redis, version: 0.1.0, alias: cache}\n"
    )
    files = {
        "shop/Chart.yaml": chart_yaml,
        "shop/Feature.yaml": _FEATURE_YAML,
        "shop/values.yaml": "image:\n  pullPolicy: IfNotPresent\n",
        "shop/values.schema.json": _SCHEMA,
        "shop/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop}\n",
        "shop/crds/widget.yaml": "kind: CustomResourceDefinition\n",
        "redis/Chart.yaml": "apiVersion: v2\nname: redis\nversion: 0.1.0\n",
        "redis/values.yaml": "port: 6379\n",
        "redis/values.schema.json": _SUBCHART_SCHEMA,
    }
    for path, text in files.items():
        (scratch / path).parent.mkdir(parents=True, exist_ok=True)
        (scratch / path).write_text(text)
    (scratch / "shop/charts").mkdir()
    helm_python.package(scratch / "redis", destination=scratch / "shop/charts")
    archive = Path(helm_python.package(scratch / "shop", destination=scratch))
    return _Archive("shop", "1.0.0", {"Chart.yaml": chart_yaml}, archive.read_bytes())


@pytest.fixture
def shop(oci_registry: OciRegistry, tmp_path: Path) -> _Archive:
    chart = _shop(tmp_path / "chart")
    oci_registry.push_chart("schemas/shop", chart)
    return chart


def _helm_accepts(chart: _Archive, values: dict[str, Any], scratch: Path) -> bool:
    """Whether Helm's engine renders `chart` with `values` (its schemas enforced)."""
    archive = scratch / "oracle.tgz"
    archive.write_bytes(chart.data)
    try:
        helm_python.Chart.load(archive).render(values, name="shop", namespace="shop")
    except helm_python.HelmValuesError:
        return False
    return True


def _state(root: Path, registry: OciRegistry, prod: dict[str, Any]) -> Path:
    return write_tree(
        root,
        state(
            environment("nav", "prod"),
            environment("nav", "dev"),
            feature("shop", chart=registry.url("schemas/shop")),
            assignment("shop", "1.0.0", {"tenant": "nav"}),
            config("shop", "nav/prod", prod),
        ),
    )


def test_validate_refuses_a_config_value_the_charts_schema_forbids(
    oci_registry: OciRegistry, shop: _Archive, tmp_path: Path
) -> None:
    root = _state(tmp_path / "state", oci_registry, {"image.pullPolicy": "Never"})
    assert not _helm_accepts(shop, {"image": {"pullPolicy": "Never"}}, tmp_path)

    run = run_cli("validate", root, "--plain-http-registry", oci_registry.host)

    assert run.exit_code == 1, run.stdout
    assert (
        "configs/shop/nav-prod.yaml:5:30: error values-invalid: shop 1.0.0 on nav/prod:"
        " values do not match the chart's values.schema.json:"
        " image.pullPolicy: must be one of ['Always', 'IfNotPresent']"
    ) in run.stdout
    assert "Never" not in run.stdout


def test_validate_refuses_a_value_the_subcharts_schema_forbids_in_its_section(
    oci_registry: OciRegistry, shop: _Archive, tmp_path: Path
) -> None:
    root = _state(tmp_path / "state", oci_registry, {"cache.port": 70000})
    assert not _helm_accepts(shop, {"cache": {"port": 70000}}, tmp_path)

    run = run_cli("validate", root, "--plain-http-registry", oci_registry.host)

    assert run.exit_code == 1, run.stdout
    assert (
        "configs/shop/nav-prod.yaml:5:24: error values-invalid: shop 1.0.0 on nav/prod:"
        " values do not match the chart's values.schema.json: cache.port: must be <= 65535"
    ) in run.stdout


def test_validate_is_clean_when_the_values_match_every_schema(
    oci_registry: OciRegistry, shop: _Archive, tmp_path: Path
) -> None:
    values = {"image.pullPolicy": "Always", "cache.port": 6380}
    root = _state(tmp_path / "state", oci_registry, values)
    assert _helm_accepts(
        shop, {"image": {"pullPolicy": "Always"}, "cache": {"port": 6380}}, tmp_path
    )

    run = run_cli("validate", root, "--plain-http-registry", oci_registry.host)

    assert run.exit_code == 0, run.stdout


def test_plan_shows_values_invalid_with_the_schemas_rule(
    oci_registry: OciRegistry, shop: _Archive, tmp_path: Path
) -> None:
    root = _state(tmp_path / "state", oci_registry, {"image.pullPolicy": "Never"})

    run = run_cli("plan", root, "--plain-http-registry", oci_registry.host, "--format", "json")

    releases = {(r["environment"], r["feature"]): r for r in run.json["releases"]}
    prod, dev = releases["nav/prod", "shop"], releases["nav/dev", "shop"]
    assert (prod["status"], dev["status"]) == ("values-invalid", "planned")
    assert "image.pullPolicy: must be one of ['Always', 'IfNotPresent']" in prod["message"]


def test_explain_shows_values_invalid_and_the_rule(
    oci_registry: OciRegistry, shop: _Archive, tmp_path: Path
) -> None:
    root = _state(tmp_path / "state", oci_registry, {"cache.port": 70000})

    run = run_cli("explain", "nav/prod", "shop", root, "--plain-http-registry", oci_registry.host)

    assert "Release: 1.0.0, values-invalid" in run.stdout
    assert "cache.port: must be <= 65535" in run.stdout

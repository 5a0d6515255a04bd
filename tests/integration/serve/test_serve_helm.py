"""`fasit serve` with a naisd process running the helm executor: the chart comes from the real
test registry by digest, and the helm double renders it with Helm's engine into its cluster."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from fasit.agents import write_token_file
from tests import states
from tests.helpers import write_tree
from tests.integration.agents.helm_fixtures import ChartRef, HelmDouble, make_helm_double
from tests.integration.oci_registry import Chart, OciRegistry
from tests.integration.serve.support import naisd, serve

TOKEN = "token-of-nav-dev"

# What a chart such as cert-manager's says: no top-level key it does not declare.
STRICT_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {"replicas": {"type": "integer"}},
}


def _deployed_by_helm(
    tmp_path: Path,
    double: HelmDouble,
    oci_registry: OciRegistry,
    chart: ChartRef,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Serve a state deploying `chart` as the feature web to nav/dev, run naisd with the helm
    executor until the release is DEPLOYED or FAILED; the release as the API shows it. `config`:
    the Feature's config."""
    state = tmp_path / "state"
    write_tree(
        state,
        states.state(
            states.environment("nav", "dev"),
            states.feature("web", config=config, chart=chart.chart),
            states.assignment("web", chart.version, {}),
        ),
    )
    tokens = tmp_path / "agent-tokens.yaml"
    write_token_file(tokens, {"nav/dev": TOKEN})
    served = serve(
        tmp_path,
        "--state-dir",
        str(state),
        "--agent-tokens",
        str(tokens),
        "--plain-http-registry",
        oci_registry.host,
        "--chart-cache",
        str(tmp_path / "chart-cache"),
    )
    agent = naisd(
        tmp_path,
        served,
        "nav/dev",
        TOKEN,
        "--executor",
        "helm",
        "--plain-http-registry",
        oci_registry.host,
        environ=double.environ,
    )
    try:
        served.until(
            lambda: (
                served.releases().get(("nav/dev", "web"), {}).get("status")
                in ("DEPLOYED", "FAILED")
            ),
            "web deployed or failed by helm",
        )
        return served.releases()[("nav/dev", "web")]
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=15)
        served.stop()


def test_an_oci_feature_is_deployed_by_naisd_with_the_helm_executor(
    tmp_path: Path, oci_registry: OciRegistry
) -> None:
    (tmp_path / "helm").mkdir()
    double = make_helm_double(tmp_path / "helm", oci_registry)

    shown = _deployed_by_helm(tmp_path, double, oci_registry, double.web)

    assert shown["status"] == "DEPLOYED", shown["message"]
    release = double.release("web", "web")
    assert release is not None
    upgrade = next(call for call in double.calls() if call[0] == "upgrade")
    assert f"{double.web.chart}@{double.web.digest}" in upgrade


def test_a_chart_whose_schema_forbids_unknown_keys_deploys_with_exactly_its_values(
    tmp_path: Path, oci_registry: OciRegistry
) -> None:
    (tmp_path / "helm").mkdir()
    double = make_helm_double(tmp_path / "helm", oci_registry)
    strict = Chart.helm("web", "1.0.0")
    strict.files["values.schema.json"] = json.dumps(STRICT_SCHEMA)
    chart = double.push(strict)

    shown = _deployed_by_helm(tmp_path, double, oci_registry, chart)

    assert shown["status"] == "DEPLOYED", shown["message"]
    release = double.release("web", "web")
    assert release is not None
    assert release["values"] == {}  # the Feature sets nothing: helm gets nothing


def test_a_release_helm_refuses_shows_helms_cause_in_its_status_message(
    tmp_path: Path, oci_registry: OciRegistry
) -> None:
    (tmp_path / "helm").mkdir()
    double = make_helm_double(tmp_path / "helm", oci_registry)
    strict = Chart.helm("web", "1.0.0")
    schema = {**STRICT_SCHEMA, "properties": {"replicas": {"type": "integer", "minimum": 3}}}
    strict.files["values.schema.json"] = json.dumps(schema)
    chart = double.push(strict)

    shown = _deployed_by_helm(tmp_path, double, oci_registry, chart, config={"replicas": 2})

    assert shown["status"] == "FAILED"
    assert shown["message"].startswith(
        "failed 1 time (last: values don't meet the specifications of the schema(s) in the"
        " following chart(s): web: - at '/replicas': minimum:"
    ), shown["message"]

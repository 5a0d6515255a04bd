"""`fasit serve` with a naisd process running the helm executor: the chart comes from the real
test registry by digest, and the helm double renders it with Helm's engine into its cluster."""

from __future__ import annotations

import signal
from pathlib import Path

from fasit.agents import write_token_file
from tests import states
from tests.helpers import write_tree
from tests.integration.agents.helm_fixtures import make_helm_double
from tests.integration.oci_registry import OciRegistry
from tests.integration.serve.support import naisd, serve

TOKEN = "token-of-nav-dev"


def test_an_oci_feature_is_deployed_by_naisd_with_the_helm_executor(
    tmp_path: Path, oci_registry: OciRegistry
) -> None:
    (tmp_path / "helm").mkdir()
    double = make_helm_double(tmp_path / "helm", oci_registry)
    state = tmp_path / "state"
    write_tree(
        state,
        states.state(
            states.environment("nav", "dev"),
            states.feature("web", chart=double.web.chart),
            states.assignment("web", "1.0.0", {}),
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
            lambda: served.releases().get(("nav/dev", "web"), {}).get("status") == "DEPLOYED",
            "web deployed by helm",
        )
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=15)
        served.stop()

    release = double.release("web", "web")
    assert release is not None
    upgrade = next(call for call in double.calls() if call[0] == "upgrade")
    assert f"{double.web.chart}@{double.web.digest}" in upgrade

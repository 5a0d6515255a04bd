"""`fasit serve` with a naisd process running the helm executor: the chart comes from the real
test registry by digest, and the helm double renders it with Helm's engine into its cluster."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fasit.agents import write_token_file
from tests import states
from tests.helm_charts import HelmMadeChart, helm_made_state
from tests.helpers import write_tree
from tests.integration.agents.helm_fixtures import HelmDouble, make_helm_double
from tests.integration.oci_registry import Chart, OciRegistry
from tests.integration.serve.support import MOVING, Served, naisd, serve

TOKEN = "token-of-nav-dev"


def helm_double(tmp_path: Path, registry: OciRegistry) -> HelmDouble:
    (tmp_path / "helm").mkdir()
    return make_helm_double(tmp_path / "helm", registry)


@contextmanager
def served_with_helm(tmp_path: Path, double: HelmDouble, files: dict[str, str]) -> Iterator[Served]:
    """`fasit serve` over the state `files` and one naisd for nav/dev whose executor runs
    `double`; both stopped when the block ends."""
    registry = double.registry
    state = write_tree(tmp_path / "state", files)
    tokens = tmp_path / "agent-tokens.yaml"
    write_token_file(tokens, {"nav/dev": TOKEN})
    served = serve(
        tmp_path,
        "--state-dir",
        str(state),
        "--agent-tokens",
        str(tokens),
        "--plain-http-registry",
        registry.host,
        "--chart-cache",
        str(tmp_path / "chart-cache"),
    )
    try:
        agent = naisd(
            tmp_path,
            served,
            "nav/dev",
            TOKEN,
            "--executor",
            "helm",
            "--plain-http-registry",
            registry.host,
            environ=double.environ,
        )
        try:
            yield served
        finally:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=15)
    finally:
        served.stop()


def settled_statuses(served: Served, features: list[str]) -> dict[str, tuple[str, str]]:
    """(status, message) of each feature's nav/dev release, once none is still moving."""
    found: dict[str, tuple[str, str]] = {}

    def settled() -> bool:
        releases = served.releases()
        found.clear()
        for name in features:
            release = releases.get(("nav/dev", name), {})
            found[name] = (release.get("status", ""), release.get("message", ""))
        return all(status and status not in MOVING for status, _ in found.values())

    served.until(settled, f"{', '.join(features)} to settle")
    return found


def test_an_oci_feature_is_deployed_by_naisd_with_the_helm_executor(
    tmp_path: Path, oci_registry: OciRegistry
) -> None:
    double = helm_double(tmp_path, oci_registry)
    web = double.web
    files = states.state(
        states.environment("nav", "dev"),
        states.feature("web", chart=web.chart),
        states.assignment("web", "1.0.0", {}),
    )

    with served_with_helm(tmp_path, double, files) as served:
        served.until(
            lambda: served.releases().get(("nav/dev", "web"), {}).get("status") == "DEPLOYED",
            "web deployed by helm",
        )

    release = double.release("web", "web")
    assert release is not None
    upgrade = next(call for call in double.calls() if call[0] == "upgrade")
    assert f"{web.chart}@{web.digest}" in upgrade


DEPLOYABLE = ["buildmeta", "exporter", "kitted", "logstack", "strict", "widget-crds"]


def test_every_helm_made_chart_is_deployed_by_naisd_with_the_helm_executor(
    tmp_path: Path, oci_registry: OciRegistry, helm_made_charts: dict[str, HelmMadeChart]
) -> None:
    double = helm_double(tmp_path, oci_registry)
    files = helm_made_state([helm_made_charts[name] for name in DEPLOYABLE], "nav/dev")

    with served_with_helm(tmp_path, double, files) as served:
        statuses = settled_statuses(served, DEPLOYABLE)

    assert {name: status for name, (status, _) in statuses.items()} == dict.fromkeys(
        DEPLOYABLE, "DEPLOYED"
    ), statuses
    pulled = {
        arg for call in double.calls() if call[0] == "upgrade" for arg in call if "oci://" in arg
    }
    assert pulled == {
        f"{helm_made_charts[name].chart}@{helm_made_charts[name].digest}" for name in DEPLOYABLE
    }
    manifest = str((double.release("logstack", "logstack") or {})["manifest"])
    assert "name: logstack-buffer" in manifest  # the vendored subchart was rendered too
    assert "storage: 256Mi" in manifest  # with the parent's value over its own default


def test_a_strict_chart_gets_exactly_the_planned_values_and_nothing_of_fasits(
    tmp_path: Path, oci_registry: OciRegistry, helm_made_charts: dict[str, HelmMadeChart]
) -> None:
    double = helm_double(tmp_path, oci_registry)
    files = helm_made_state([helm_made_charts["strict"]], "nav/dev")

    with served_with_helm(tmp_path, double, files) as served:
        statuses = settled_statuses(served, ["strict"])

    assert statuses["strict"][0] == "DEPLOYED", statuses["strict"][1]
    release = double.release("strict", "strict")
    assert release is not None
    assert "fasit" not in release["values"]


def test_a_release_helm_refuses_shows_helms_cause_in_its_status_message(
    tmp_path: Path, oci_registry: OciRegistry
) -> None:
    # A refusal only helm can make: fasit's plan checks values, not what templates require.
    double = helm_double(tmp_path, oci_registry)
    demanding = Chart.helm(
        "web",
        "1.0.0",
        templates={"configmap.yaml": '{{ required "set image.tag: no default" .Values.image }}'},
    )
    chart = double.push(demanding)
    files = states.state(
        states.environment("nav", "dev"),
        states.feature("web", chart=chart.chart),
        states.assignment("web", chart.version, {}),
    )

    with served_with_helm(tmp_path, double, files) as served:
        status, message = settled_statuses(served, ["web"])["web"]

    assert status == "FAILED"
    assert message.startswith(
        "failed 1 time (last: execution error at (web/templates/configmap.yaml:1:3):"
        " set image.tag: no default)"
    ), message

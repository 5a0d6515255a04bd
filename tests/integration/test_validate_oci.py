"""`fasit validate` and `fasit plan` on a state whose features come from a real OCI registry."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from fasit.charts import (
    ChartOutcome,
    OciCharts,
    OciSettings,
    OciWanted,
    RegistryClient,
    RegistrySettings,
)
from fasit.plan import Planner, ReleaseStatus, validate_tree
from fasit.state import DirectoryTree
from tests.helpers import run_cli, write_tree
from tests.integration.hostile_registry import HostileRegistry, helm_manifest
from tests.integration.oci_registry import Chart, HelmPackagedChart, OciRegistry
from tests.states import assignment, environment, feature, state


def oci_state(root: Path, registry: OciRegistry, *names: str, version: str = "1.0.0") -> Path:
    parts = [environment("nav", "prod"), environment("nav", "dev")]
    for name in names:
        parts += [
            feature(name, chart=registry.url(f"cli/{name}")),
            assignment(name, version, {"tenant": "nav"}),
        ]
    return write_tree(root, state(*parts))


def test_validate_checks_the_feature_yaml_of_oci_charts(
    oci_registry: OciRegistry, tmp_path: Path
) -> None:
    chart = Chart.helm("vbad", "1.0.0", feature="environmentKinds: [tenant]\nbogus: 1\n")
    oci_registry.push_chart("cli/vbad", chart)
    root = oci_state(tmp_path / "state", oci_registry, "vbad")

    run = run_cli("validate", root, "--plain-http-registry", oci_registry.host)

    assert run.exit_code == 1
    where = f"{oci_registry.url('cli/vbad')}:1.0.0/vbad/Feature.yaml:2:1"
    assert f"{where}: error feature-yaml-invalid: unknown field 'bogus'" in run.stdout


def test_validate_is_clean_on_a_chart_packaged_by_helm(
    oci_registry: OciRegistry, tmp_path: Path
) -> None:
    oci_registry.push_chart("cli/vhelm", HelmPackagedChart.helm("vhelm", "1.0.0"))
    root = oci_state(tmp_path / "state", oci_registry, "vhelm")

    run = run_cli("validate", root, "--plain-http-registry", oci_registry.host)

    assert run.exit_code == 0, run.stdout
    assert "vhelm" not in run.stdout


def test_validate_names_the_versions_the_registry_has_when_the_assigned_one_is_missing(
    oci_registry: OciRegistry, tmp_path: Path
) -> None:
    for version in ("1.3.2", "1.4.1", "1.5.0", "0.1.0"):
        oci_registry.push_chart("cli/vmissing", Chart.helm("vmissing", version))
    root = oci_state(tmp_path / "state", oci_registry, "vmissing", version="1.4.0")

    run = run_cli("validate", root, "--plain-http-registry", oci_registry.host)

    assert run.exit_code == 1
    assert "error chart-missing" in run.stdout
    assert "(the registry has 1.3.2, 1.4.1, 1.5.0)" in run.stdout


def test_validate_lists_no_tags_when_the_assigned_version_exists(
    oci_registry: OciRegistry, tmp_path: Path
) -> None:
    oci_registry.push_chart("cli/vfound", Chart.helm("vfound", "1.0.0"))
    root = oci_state(tmp_path / "state", oci_registry, "vfound")

    run = run_cli("validate", root, "--plain-http-registry", oci_registry.host)

    assert run.exit_code == 0, run.stdout
    asked = [r for r in oci_registry.requests_from("fasit/") if "vfound" in r]
    assert asked
    assert not [r for r in asked if "tags/list" in r]


def test_validate_says_the_registry_has_no_versions_of_a_repository_never_pushed(
    oci_registry: OciRegistry, tmp_path: Path
) -> None:
    root = oci_state(tmp_path / "state", oci_registry, "vnever", version="1.4.0")

    run = run_cli("validate", root, "--plain-http-registry", oci_registry.host)

    assert run.exit_code == 1
    assert "error chart-missing" in run.stdout
    assert "(the registry has no versions)" in run.stdout


def test_validate_offline_fetches_nothing_and_leaves_a_notice(
    oci_registry: OciRegistry, tmp_path: Path
) -> None:
    root = oci_state(tmp_path / "state", oci_registry, "voffline")

    run = run_cli("validate", root, "--offline")

    assert run.exit_code == 0
    assert "notice chart-not-checked" in run.stdout
    assert not [r for r in oci_registry.requests_from("fasit/") if "voffline" in r]


def test_plain_http_registries_come_from_the_environment_too(
    oci_registry: OciRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    oci_registry.push_chart("cli/venv", Chart.helm("venv", "1.0.0"))
    root = oci_state(tmp_path / "state", oci_registry, "venv")
    monkeypatch.setenv("FASIT_PLAIN_HTTP_REGISTRIES", f"elsewhere:5000,{oci_registry.host}")
    run = run_cli("validate", root)

    assert run.exit_code == 0, run.stdout


def test_plan_json_carries_each_releases_digest(oci_registry: OciRegistry, tmp_path: Path) -> None:
    pushed = oci_registry.push_chart("cli/vplan", Chart.helm("vplan", "1.0.0"))
    root = oci_state(tmp_path / "state", oci_registry, "vplan")

    run = run_cli("plan", root, "--format", "json", "--plain-http-registry", oci_registry.host)

    assert run.exit_code == 0, run.stderr
    releases = json.loads(run.stdout)["releases"]
    assert {(r["environment"], r["digest"]) for r in releases} == {
        ("nav/prod", pushed.manifest),
        ("nav/dev", pushed.manifest),
    }


def test_an_unreachable_registry_fails_only_the_releases_of_its_charts(
    oci_registry: OciRegistry, tmp_path: Path
) -> None:
    oci_registry.push_chart("cli/vhealthy", Chart.helm("vhealthy", "1.0.0"))
    parts = [
        environment("nav", "prod"),
        feature("vhealthy", chart=oci_registry.url("cli/vhealthy")),
        assignment("vhealthy", "1.0.0", {"tenant": "nav"}),
        feature("vgone", chart="oci://127.0.0.1:1/cli/vgone"),
        assignment("vgone", "1.0.0", {"tenant": "nav"}),
    ]
    root = write_tree(tmp_path / "state", state(*parts))

    run = run_cli(
        "plan", root, "--format", "json",
        "--plain-http-registry", oci_registry.host, "--plain-http-registry", "127.0.0.1:1",
    )  # fmt: skip

    statuses = {
        r["feature"]: (r["status"], r["message"]) for r in json.loads(run.stdout)["releases"]
    }
    assert statuses["vhealthy"][0] == ReleaseStatus.PLANNED
    assert statuses["vgone"][0] == ReleaseStatus.CHART_UNAVAILABLE
    assert "127.0.0.1:1 cannot be reached: Connection refused" in statuses["vgone"][1]


def test_a_moved_tag_changes_the_release_hash(oci_registry: OciRegistry, tmp_path: Path) -> None:
    oci_registry.push_chart("cli/vmoved", Chart.helm("vmoved", "1.0.0"))
    root = oci_state(tmp_path / "state", oci_registry, "vmoved")
    clock = [0.0]
    settings = RegistrySettings(plain_http=frozenset({oci_registry.host}))
    oci = OciCharts(RegistryClient(settings), OciSettings(tag_ttl=60), clock=lambda: clock[0])

    def fetch(wanted: list[OciWanted]) -> dict[tuple[str, str], ChartOutcome]:
        return asyncio.run(oci.resolve(wanted))

    planner = Planner()
    before = validate_tree(DirectoryTree(root), planner=planner, fetch_oci=fetch)
    moved = Chart.helm("vmoved", "1.0.0")
    moved.files["values.yaml"] = "replicas: 5\n"
    oci_registry.push_chart("cli/vmoved", moved)
    clock[0] += 61
    after = validate_tree(DirectoryTree(root), planner=planner, fetch_oci=fetch)
    oci.close()

    old = before.plan.releases["nav/prod", "vmoved"]
    new = after.plan.releases["nav/prod", "vmoved"]
    assert old.digest != new.digest
    assert old.release_hash != new.release_hash


def one_feature_state(root: Path, chart: str, name: str) -> Path:
    parts = [environment("nav", "prod"), feature(name, chart=chart)]
    return write_tree(root, state(*parts, assignment(name, "1.0.0", {"tenant": "nav"})))


@pytest.mark.parametrize("descriptor", ["layer", "config"])
def test_a_manifest_digest_naming_a_path_is_refused_and_the_file_survives(
    tmp_path: Path, descriptor: str
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    hostile = f"sha256:{victim}"
    with HostileRegistry(helm_manifest(**{descriptor: hostile})) as registry:
        root = one_feature_state(tmp_path / "state", registry.url("cli/vhostile"), "vhostile")

        run = run_cli(
            "validate", root, "--plain-http-registry", registry.host,
            "--chart-cache", tmp_path / "cache",
        )  # fmt: skip

    assert victim.read_bytes() == b"precious"
    assert run.exit_code == 1
    assert "error chart-not-helm" in run.stdout
    assert f"{hostile!r} is not a sha256 digest" in run.stdout
    assert not [path for path in registry.paths if "/blobs/" in path]


def test_a_tag_digest_naming_a_path_is_refused(tmp_path: Path) -> None:
    hostile = f"sha256:{tmp_path / 'victim'}"
    with HostileRegistry(helm_manifest(), header_digest=hostile) as registry:
        root = one_feature_state(tmp_path / "state", registry.url("cli/vtag"), "vtag")

        run = run_cli("validate", root, "--plain-http-registry", registry.host)

    assert run.exit_code == 1
    assert f"{hostile!r} is not a sha256 digest" in run.stdout
    assert not [path for path in registry.paths if hostile.removeprefix("sha256:") in path]

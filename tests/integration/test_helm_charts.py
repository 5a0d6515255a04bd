"""Charts made by Helm, not by fasit: the fixture charts of tests/fixtures/helm-charts/, packaged
and pushed by Helm's engine (the `helm_made_charts` session fixture), read by `fasit validate`
and `fasit plan` from the real test registry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from fasit.charts import package_chart
from fasit.plan import ReleaseStatus
from tests import states
from tests.helm_charts import (
    BIG_CRD,
    CHARTS,
    HelmMadeChart,
    helm_made_state,
    lint_findings,
    member_names,
    prepare,
)
from tests.helpers import run_cli, write_tree
from tests.integration.oci_registry import Chart, OciRegistry

# Helm's own lint warns on a `v` prefix, which it nevertheless packages, pushes and installs.
EXPECTED_LINT = {
    "buildmeta": ["warning Chart.yaml: version 'v1.2.3+build.5' is not a valid SemVerV2"]
}
GZIP_FEXTRA = 0x04


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_each_fixture_chart_passes_helm_lint(name: str, tmp_path: Path) -> None:
    assert lint_findings(prepare(name, tmp_path)) == EXPECTED_LINT.get(name, [])


def test_helm_made_archives_have_the_shapes_the_fixtures_stand_for(
    helm_made_charts: dict[str, HelmMadeChart],
) -> None:
    archives = {name: made.packaged.archive.read_bytes() for name, made in helm_made_charts.items()}
    members = {name: member_names(data) for name, data in archives.items()}

    assert all(data[3] & GZIP_FEXTRA for data in archives.values())
    # Helm writes vendored subcharts into the package as directories, not as their .tgz.
    assert "logstack/charts/buffer/values.yaml" in members["logstack"]
    assert "logstack/charts/shipper/Chart.yaml" in members["logstack"]
    assert "kitted/charts/kit/templates/_labels.tpl" in members["kitted"]
    crd = (helm_made_charts["widget-crds"].packaged.directory / BIG_CRD).stat().st_size
    assert f"widget-crds/{BIG_CRD}" in members["widget-crds"]
    assert crd > 300_000
    assert "strict/values.schema.json" in members["strict"]
    assert "buildmeta/Chart.yaml" in members["buildmeta"]
    assert not [m for m in members["buildmeta"] if m.endswith(".orig") or "/ci/" in m]


def test_validate_is_clean_on_every_helm_made_chart(
    oci_registry: OciRegistry, helm_made_charts: dict[str, HelmMadeChart], tmp_path: Path
) -> None:
    root = write_tree(tmp_path / "state", helm_made_state(helm_made_charts.values(), "nav/dev"))

    run = run_cli("validate", root, "--plain-http-registry", oci_registry.host)

    assert run.exit_code == 0, run.stdout + run.stderr


def test_plan_lists_every_helm_made_release_planned_with_the_registrys_digest(
    oci_registry: OciRegistry, helm_made_charts: dict[str, HelmMadeChart], tmp_path: Path
) -> None:
    root = write_tree(tmp_path / "state", helm_made_state(helm_made_charts.values(), "nav/dev"))

    run = run_cli("plan", root, "--format", "json", "--plain-http-registry", oci_registry.host)

    assert run.exit_code == 0, run.stdout + run.stderr
    releases = json.loads(run.stdout)["releases"]
    assert {r["feature"]: (r["status"], r["version"], r["digest"]) for r in releases} == {
        name: (ReleaseStatus.PLANNED, made.version, made.digest)
        for name, made in helm_made_charts.items()
    }
    assert all(made.digest.startswith("sha256:") for made in helm_made_charts.values())


@dataclass
class PackagedElsewhere(Chart):
    """A chart whose archive was made beforehand, by whatever packager."""

    data: bytes = b""

    def archive(self) -> bytes:
        return self.data


def test_an_archive_holding_vendored_subcharts_as_tgz_is_planned(
    oci_registry: OciRegistry, tmp_path: Path
) -> None:
    # Helm writes subcharts as directories; a packager that keeps the files as they are (fasit's,
    # for an in-repo chart committing its charts/*.tgz) leaves the .tgz in the archive.
    directory = prepare("logstack", tmp_path / "src", subcharts="archive")
    files = {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }
    archive = package_chart("logstack", files).archive
    assert "logstack/charts/buffer-0.3.1.tgz" in member_names(archive)
    chart_yaml = files["Chart.yaml"].decode()
    chart = PackagedElsewhere("logstack", CHARTS["logstack"], {"Chart.yaml": chart_yaml}, archive)
    pushed = oci_registry.push_chart("packaged-elsewhere/logstack", chart)
    state = states.state(
        states.environment("nav", "dev"),
        states.feature("logstack", chart=oci_registry.url("packaged-elsewhere/logstack")),
        states.assignment("logstack", CHARTS["logstack"], {}),
    )
    root = write_tree(tmp_path / "state", state)

    run = run_cli("plan", root, "--format", "json", "--plain-http-registry", oci_registry.host)

    [release] = json.loads(run.stdout)["releases"]
    assert (release["status"], release["digest"]) == (ReleaseStatus.PLANNED, pushed.manifest)

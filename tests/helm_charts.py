"""The charts of tests/fixtures/helm-charts/, made ready and packaged by Helm's own engine.

Fixtures made by fasit's packager share fasit's assumptions (STYLE.md rule 16), so these charts
are packaged by `helm_python.package` (Helm v4 as a library): gzip header, member order,
`.helmignore` and all. `prepare` does what `helm dependency build` would do before packaging:
each `file://` dependency in Chart.yaml is packaged into the chart's `charts/` as
`<sub>-<version>.tgz`. The widget-crds chart gets a CRD of a few hundred KB generated into
`crds/`, so the repository need not hold it. Nothing here writes into the fixture directory.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import helm_python
import yaml

from tests import states

FIXTURES: Final = Path(__file__).parent / "fixtures" / "helm-charts"

# name → (version as Chart.yaml writes it, what the chart shows)
CHARTS: Final = {
    "exporter": "2.4.1",  # a Deployment and a Service, image and resources in values
    "logstack": "3.0.2",  # two vendored subcharts, one with values of its own
    "kitted": "0.9.0",  # includes the named templates of a `type: library` dependency
    "widget-crds": "14.0.0",  # crds/ with a generated CRD of a few hundred KB
    "strict": "1.19.1",  # values.schema.json: additionalProperties false, $ref, enum
    "buildmeta": "v1.2.3+build.5",  # v prefix, build metadata, a .helmignore
}
Vendoring = Literal["archive", "directory"]
BIG_CRD: Final = "crds/widgets.example.com.yaml"
BIG_CRD_FIELDS: Final = 2_000


@dataclass(frozen=True)
class PackagedFixture:
    """One fixture chart as `helm package` made it."""

    name: str
    version: str
    directory: Path
    """The prepared chart directory (dependencies vendored, CRD generated)."""
    archive: Path
    """`<name>-<version>.tgz`, written by Helm's engine."""


@dataclass(frozen=True)
class HelmMadeChart:
    """A packaged fixture chart as pushed to a registry by `helm_python.push`."""

    packaged: PackagedFixture
    chart: str
    """oci://HOST:PORT/REPOSITORY, as a Feature names it."""
    digest: str
    """The manifest digest the registry gives for the version's tag."""

    @property
    def version(self) -> str:
        return self.packaged.version


def prepare(name: str, destination: Path, *, subcharts: Vendoring = "archive") -> Path:
    """A copy of fixture `name` at `destination/name`, ready for `helm package`: its `file://`
    dependencies in `charts/` as `<sub>-<version>.tgz` (as `helm dependency build` leaves them)
    or, with `subcharts="directory"`, as `<sub>/` directories (as some repositories keep them)."""
    chart = destination / name
    shutil.copytree(_source(name), chart)
    _vendor_dependencies(_source(name), chart, subcharts)
    if name == "widget-crds":
        (chart / BIG_CRD).write_text(big_crd(BIG_CRD_FIELDS), encoding="utf-8")
    return chart


def package_fixture(name: str, destination: Path) -> PackagedFixture:
    """`prepare` then `helm_python.package` into `destination`."""
    destination.mkdir(parents=True, exist_ok=True)
    chart = prepare(name, destination / "src")
    archive = Path(helm_python.package(chart, destination=destination))
    return PackagedFixture(name, CHARTS[name], chart, archive)


def lint_findings(chart: Path) -> list[str]:
    """What `helm lint` reports above info level, as "warning|error PATH: MESSAGE"."""
    report = helm_python.lint(chart)
    levels = {2: "warning", 3: "error"}
    found = [
        f"{levels[m['severity']]} {m['path']}: {m['error']}"
        for m in report["messages"]
        if m["severity"] in levels
    ]
    return found + [f"error {error}" for error in report["errors"]]


def member_names(archive: bytes) -> list[str]:
    """The sorted member names of a .tgz (gzip read whole, so Helm's header is fine)."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as opened:
        return sorted(opened.getnames())


def big_crd(fields: int) -> str:
    """A CustomResourceDefinition whose schema has `fields` documented properties (~200 bytes
    each), the shape that makes prometheus-operator's CRDs large."""
    lines = [
        "apiVersion: apiextensions.k8s.io/v1",
        "kind: CustomResourceDefinition",
        "metadata:",
        "  name: widgets.example.com",
        "spec:",
        "  group: example.com",
        "  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}",
        "  scope: Namespaced",
        "  versions:",
        "    - name: v1",
        "      served: true",
        "      storage: true",
        "      schema:",
        "        openAPIV3Schema:",
        "          type: object",
        "          properties:",
        "            spec:",
        "              type: object",
        "              properties:",
    ]
    for n in range(fields):
        lines += [
            f"                field{n:05d}:",
            "                  type: string",
            f"                  description: Setting number {n} of a widget; when unset, the"
            " operator picks the default documented for this release of the widget API.",
        ]
    return "\n".join(lines) + "\n"


def _source(name: str) -> Path:
    return FIXTURES / name


def _vendor_dependencies(source: Path, chart: Path, subcharts: Vendoring) -> None:
    """Put every `file://` dependency of `source` into `chart/charts/`, recursively."""
    chart_yaml = yaml.safe_load((source / "Chart.yaml").read_text(encoding="utf-8"))
    for dependency in chart_yaml.get("dependencies") or []:
        repository = str(dependency.get("repository", ""))
        if not repository.startswith("file://"):
            continue
        sub_source = (source / repository.removeprefix("file://")).resolve()
        if subcharts == "directory":
            sub_chart = chart / "charts" / sub_source.name
        else:
            sub_chart = chart.parent / ".vendoring" / chart.name / sub_source.name
        shutil.copytree(sub_source, sub_chart)
        _vendor_dependencies(sub_source, sub_chart, subcharts)
        if subcharts == "archive":
            (chart / "charts").mkdir(exist_ok=True)
            helm_python.package(sub_chart, destination=chart / "charts")


def helm_made_state(charts: Iterable[HelmMadeChart], *environments: str) -> dict[str, str]:
    """A state repository's files: `environments` ("tenant/name", tenant kind) and, per chart, a
    feature named for it assigned at its version to every environment."""
    parts = [states.environment(*environment.split("/")) for environment in environments]
    for made in charts:
        name = made.packaged.name
        parts += [states.feature(name, chart=made.chart), states.assignment(name, made.version, {})]
    return states.state(*parts)

"""In-repo charts as Helm sees them: fasit's archive loads and renders in Helm's engine, and
`.helmignore` keeps out of the archive and the digest exactly what `helm package` keeps out."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import helm_python
import pytest

from fasit.charts import InRepoCharts, ResolvedChart
from fasit.charts.package import PackagedChart
from fasit.state import DirectoryTree, LoadLimits, ProblemCode
from tests.helm_charts import CHARTS, Vendoring, prepare
from tests.helpers import write_tree

CHART_DIR = "charts/demo/1.0.0"
FILES = {
    "Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.0.0\n",
    "Feature.yaml": "environmentKinds: [tenant]\n",
    "values.yaml": "greeting: hello\n",
    "templates/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
    ),
}
# A file rule, a directory rule, an anchored path and Helm's negation (which narrows: every
# name NOT matching is ignored, so names starting with a digit go).
HELMIGNORE = "# scratch\n\n*.bak\nsecrets/\n/docs/draft.md\n![a-zA-Z._]*\n"
IGNORED = {
    "notes.bak": "old\n",
    "secrets/token.txt": "s3cret\n",
    "docs/draft.md": "draft\n",
    "1-scratch.txt": "tmp\n",
    "templates/.swp": "editor\n",
}


def chart_tree(root: Path, files: dict[str, str]) -> Path:
    return write_tree(root, {f"{CHART_DIR}/{name}": text for name, text in files.items()})


def resolve_and_package(root: Path) -> tuple[ResolvedChart, PackagedChart]:
    tree = DirectoryTree(root)
    charts = InRepoCharts(tree, tree.entries(), LoadLimits())
    chart = charts.resolve("charts/demo", "demo", "1.0.0").chart
    assert chart is not None
    return chart, charts.package(chart)


def members(archive: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as opened:
        return sorted(opened.getnames())


def test_helm_loads_and_renders_the_chart_fasit_packaged(tmp_path: Path) -> None:
    _, package = resolve_and_package(chart_tree(tmp_path / "repo", FILES))
    archive = tmp_path / "demo-1.0.0.tgz"
    archive.write_bytes(package.archive)

    chart = helm_python.Chart.load(archive)
    rendered = chart.render(chart.values, name="web")

    assert rendered["demo/templates/cm.yaml"] == (
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  greeting: "hello"\n'
    )


def test_the_archive_holds_the_files_helm_package_keeps(tmp_path: Path) -> None:
    files = {**FILES, ".helmignore": HELMIGNORE, "docs/kept.md": "kept\n", **IGNORED}
    root = chart_tree(tmp_path / "repo", files)
    _, package = resolve_and_package(root)
    by_helm = Path(helm_python.package(root / CHART_DIR, destination=tmp_path / "out"))

    fasit_members = members(package.archive)
    assert fasit_members == members(by_helm.read_bytes())
    assert "demo/docs/kept.md" in fasit_members


def test_an_ignored_file_does_not_change_the_digest(tmp_path: Path) -> None:
    files = {**FILES, ".helmignore": HELMIGNORE}
    before, _ = resolve_and_package(chart_tree(tmp_path / "a", files))
    after, _ = resolve_and_package(chart_tree(tmp_path / "b", {**files, **IGNORED}))

    assert after.digest == before.digest


def test_a_double_star_rule_is_a_problem_at_its_line(tmp_path: Path) -> None:
    root = chart_tree(tmp_path, {**FILES, ".helmignore": "*.bak\n**/tmp\n"})
    tree = DirectoryTree(root)

    outcome = InRepoCharts(tree, tree.entries(), LoadLimits()).resolve(
        "charts/demo", "demo", "1.0.0"
    )

    assert outcome.chart is None
    [problem] = outcome.problems
    assert (problem.file, problem.line, problem.code) == (
        f"{CHART_DIR}/.helmignore",
        2,
        ProblemCode.CHART_INCOMPLETE,
    )
    assert "double-star (**) syntax is not supported" in problem.message


@pytest.mark.parametrize(
    "rules",
    [
        "templates/*.txt\n",
        "note?.bak\n",
        "[^n]*.bak\n",
        "docs/\n",
        "/secrets\n",
        "draft.md\n",
        "!*\n",
        "\\*star\n",
    ],
)
def test_each_rule_form_keeps_what_helm_package_keeps(tmp_path: Path, rules: str) -> None:
    files = {
        **FILES,
        ".helmignore": rules,
        "templates/readme.txt": "r\n",
        "*star": "s\n",
        "docs/kept.md": "k\n",
        **IGNORED,
    }
    root = chart_tree(tmp_path / "repo", files)
    _, package = resolve_and_package(root)
    by_helm = Path(helm_python.package(root / CHART_DIR, destination=tmp_path / "out"))

    assert members(package.archive) == members(by_helm.read_bytes())


# --- the Helm-made fixture charts, kept in the state repository -------------------------------


def fixture_in_repo(root: Path, name: str, subcharts: Vendoring) -> tuple[Path, PackagedChart]:
    """Fixture chart `name` at charts/<name>/<version>/ in a state tree, packaged by fasit;
    returns the version directory and fasit's package."""
    version = CHARTS[name]
    directory = prepare(name, root / "charts" / name / "prepared", subcharts=subcharts)
    directory.rename(root / "charts" / name / version)
    tree = DirectoryTree(root)
    charts = InRepoCharts(tree, tree.entries(), LoadLimits())
    outcome = charts.resolve(f"charts/{name}", name, version)
    assert outcome.chart is not None, outcome.problems
    return root / "charts" / name / version, charts.package(outcome.chart)


def rendered(archive: Path) -> dict[str, str]:
    chart = helm_python.Chart.load(archive)
    return chart.render(chart.values, name="r", namespace="ns")


SHAPES = [
    pytest.param(name, "directory", id=f"{name} with subcharts as directories")
    for name in sorted(CHARTS)
] + [
    pytest.param(name, "archive", id=f"{name} with subcharts as .tgz")
    for name in ("kitted", "logstack")
]


@pytest.mark.parametrize(("name", "subcharts"), SHAPES)
def test_helm_renders_a_fixture_chart_fasit_packaged_as_it_renders_helms_own_package(
    tmp_path: Path, name: str, subcharts: Vendoring
) -> None:
    directory, package = fixture_in_repo(tmp_path / "repo", name, subcharts)
    by_fasit = tmp_path / "by-fasit.tgz"
    by_fasit.write_bytes(package.archive)
    by_helm = Path(helm_python.package(directory, destination=tmp_path / "by-helm"))

    assert rendered(by_fasit) == rendered(by_helm)
    assert helm_python.Chart.load(by_fasit).crds == helm_python.Chart.load(by_helm).crds


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_fasits_archive_of_a_fixture_chart_has_the_members_helm_package_writes(
    tmp_path: Path, name: str
) -> None:
    directory, package = fixture_in_repo(tmp_path / "repo", name, "directory")
    by_helm = Path(helm_python.package(directory, destination=tmp_path / "by-helm"))

    assert members(package.archive) == members(by_helm.read_bytes())


def test_vendored_subchart_archives_stay_archives_in_fasits_package(tmp_path: Path) -> None:
    # Helm re-writes a charts/*.tgz it loaded as a directory; fasit packages the files as they
    # are in the repository. Both load to the same chart (the render test above).
    _, package = fixture_in_repo(tmp_path / "repo", "logstack", "archive")

    assert [m for m in members(package.archive) if m.startswith("logstack/charts/")] == [
        "logstack/charts/buffer-0.3.1.tgz",
        "logstack/charts/shipper-1.1.0.tgz",
    ]

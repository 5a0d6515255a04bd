"""In-repo charts: resolved from the tree, digest over every file, problems where they are."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from fasit.charts import ChartOutcome, InRepoCharts, ResolvedChart
from fasit.charts.archive import read_archive
from fasit.state import DirectoryTree, LoadLimits, ProblemCode
from tests.helpers import write_tree

CHART = "apiVersion: v2\nname: demo\nversion: 1.0.0\ndescription: demo\n"
FEATURE_YAML = "environmentKinds: [tenant]\ntimeout: 2m\n"


def resolve(root: Path, version: str = "1.0.0") -> ChartOutcome:
    tree = DirectoryTree(root)
    return InRepoCharts(tree, tree.entries(), LoadLimits()).resolve("charts/demo", "demo", version)


def resolved(root: Path) -> ResolvedChart:
    chart = resolve(root).chart
    assert chart is not None
    return chart


def chart_tree(root: Path, **extra: str) -> Path:
    files = {
        "charts/demo/1.0.0/Chart.yaml": CHART,
        "charts/demo/1.0.0/Feature.yaml": FEATURE_YAML,
        "charts/demo/1.0.0/templates/cm.yaml": "kind: ConfigMap\n",
    }
    files.update({f"charts/demo/1.0.0/{name}": text for name, text in extra.items()})
    return write_tree(root, files)


def test_resolves_chart_yaml_feature_yaml_and_a_digest(tmp_path: Path) -> None:
    chart = resolved(chart_tree(tmp_path))

    assert chart.location == "charts/demo/1.0.0"
    assert chart.chart_yaml.name == "demo"
    assert chart.feature_yaml.timeout_seconds == 120
    assert chart.digest.startswith("sha256:")
    assert len(chart.digest) == len("sha256:") + 64


def test_digest_is_stable_for_the_same_files(tmp_path: Path) -> None:
    first = resolved(chart_tree(tmp_path / "a")).digest
    second = resolved(chart_tree(tmp_path / "b")).digest

    assert first == second


def test_digest_changes_when_a_template_changes(tmp_path: Path) -> None:
    before = resolved(chart_tree(tmp_path / "a")).digest
    changed = chart_tree(tmp_path / "b", **{"templates/cm.yaml": "kind: Secret\n"})

    assert resolved(changed).digest != before


def test_missing_version_directory_is_unavailable(tmp_path: Path) -> None:
    outcome = resolve(chart_tree(tmp_path), "2.0.0")

    assert outcome.chart is None
    assert outcome.unavailable is not None
    assert outcome.unavailable.code is ProblemCode.CHART_MISSING


def test_resolving_twice_reads_once(tmp_path: Path) -> None:
    tree = DirectoryTree(chart_tree(tmp_path))
    charts = InRepoCharts(tree, tree.entries(), LoadLimits())

    assert charts.resolve("charts/demo", "demo", "1.0.0") is charts.resolve(
        "charts/demo", "demo", "1.0.0"
    )


def packaged(root: Path) -> bytes:
    tree = DirectoryTree(root)
    charts = InRepoCharts(tree, tree.entries(), LoadLimits())
    chart = charts.resolve("charts/demo", "demo", "1.0.0").chart
    assert chart is not None
    package = charts.package(chart)
    assert package.digest == "sha256:" + hashlib.sha256(package.archive).hexdigest()
    return package.archive


def test_a_packaged_chart_lays_its_files_out_under_the_chart_name(tmp_path: Path) -> None:
    archive = packaged(chart_tree(tmp_path))

    members = read_archive(archive, {"demo/Chart.yaml", "demo/templates/cm.yaml"})

    assert members == {
        "demo/Chart.yaml": CHART.encode(),
        "demo/templates/cm.yaml": b"kind: ConfigMap\n",
    }


def test_packaging_the_same_files_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    first = packaged(chart_tree(tmp_path / "a"))
    os.utime(tmp_path / "a/charts/demo/1.0.0/Chart.yaml", (0, 12345))

    assert packaged(chart_tree(tmp_path / "b")) == first == packaged(tmp_path / "a")


class ClosingTree(DirectoryTree):
    """A directory tree whose reads can be shut, as a git tree's wait while a fetch holds it."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.shut = False

    def read(self, path: str, limit: int) -> bytes:
        if self.shut:
            raise AssertionError(f"read {path} after resolving")
        return super().read(path, limit)


def test_a_chart_resolved_with_room_to_keep_its_files_is_packaged_without_reading_the_tree(
    tmp_path: Path,
) -> None:
    tree = ClosingTree(chart_tree(tmp_path, **{".helmignore": "*.bak\n", "old.bak": "x\n"}))
    charts = InRepoCharts(tree, tree.entries(), LoadLimits(), kept_bytes=1024 * 1024)
    chart = charts.resolve("charts/demo", "demo", "1.0.0").chart
    assert chart is not None
    tree.shut = True

    packaged = charts.package(chart)

    members = read_archive(packaged.archive, lambda name: True)
    assert sorted(members) == [
        "demo/.helmignore",
        "demo/Chart.yaml",
        "demo/Feature.yaml",
        "demo/templates/cm.yaml",
    ]


def test_files_past_the_room_to_keep_them_are_read_from_the_tree_again(tmp_path: Path) -> None:
    root = chart_tree(tmp_path, **{"templates/big.yaml": "x" * 4096})
    tree = DirectoryTree(root)
    charts = InRepoCharts(tree, tree.entries(), LoadLimits(), kept_bytes=1024)
    chart = charts.resolve("charts/demo", "demo", "1.0.0").chart
    assert chart is not None
    (root / "charts/demo/1.0.0/templates/big.yaml").write_text("y" * 4096)

    members = read_archive(charts.package(chart).archive, lambda name: True)

    assert members["demo/templates/big.yaml"] == b"y" * 4096

"""Chart archives for agents: packaged once per chart digest, held by digest, least recently
used out first past the byte budget."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fasit.charts import (
    ChartArchives,
    InRepoCharts,
    PackagedChart,
    ResolvedChart,
    ServedChart,
    archive_digest,
)
from fasit.state import DirectoryTree, LoadLimits
from tests.helpers import write_tree

BASE = "http://127.0.0.1:8080"
VERSIONS = ("1.0.0", "1.0.1", "1.0.2")


def in_repo(root: Path) -> InRepoCharts:
    """charts/demo/<version>/ for each of VERSIONS, as a revision's tree holds them."""
    files: dict[str, str | bytes] = {}
    for version in VERSIONS:
        directory = f"charts/demo/{version}"
        files[f"{directory}/Chart.yaml"] = f"apiVersion: v2\nname: demo\nversion: {version}\n"
        files[f"{directory}/Feature.yaml"] = "environmentKinds: [tenant]\n"
        files[f"{directory}/templates/cm.yaml"] = "kind: ConfigMap\n"
    tree = DirectoryTree(write_tree(root, files))
    return InRepoCharts(tree, tree.entries(), LoadLimits())


def resolved(charts: InRepoCharts, version: str = "1.0.0") -> ResolvedChart:
    chart = charts.resolve("charts/demo", "demo", version).chart
    assert chart is not None
    return chart


class CountingPackager:
    """Packages with `charts` (or as `size` bytes), counting the charts it was asked for."""

    def __init__(self, charts: InRepoCharts | None = None, size: int = 0) -> None:
        self._charts = charts
        self._size = size
        self.packaged: list[str] = []

    def __call__(self, chart: ResolvedChart) -> PackagedChart:
        self.packaged.append(chart.version)
        if self._charts is not None:
            return self._charts.package(chart)
        # An archive of exactly `size` bytes (distinct per chart), for the byte budget.
        return PackagedChart(chart.digest.encode().ljust(self._size, b"\0"))


def test_a_published_chart_is_served_at_its_archives_digest(tmp_path: Path) -> None:
    charts = in_repo(tmp_path)
    chart = resolved(charts)
    archives = ChartArchives(BASE)

    served = archives.publish(chart, charts.package)

    archive = archives.archive(served.digest)
    assert archive == charts.package(chart).archive
    assert served == ServedChart(
        f"{BASE}/charts/sha256:{hashlib.sha256(archive).hexdigest()}.tgz",
        f"sha256:{hashlib.sha256(archive).hexdigest()}",
    )


def test_a_chart_is_packaged_once_per_digest_whichever_revision_publishes_it(
    tmp_path: Path,
) -> None:
    archives = ChartArchives(BASE)
    first, later = in_repo(tmp_path / "first"), in_repo(tmp_path / "later")
    packager = CountingPackager(first)

    served = archives.publish(resolved(first), packager)
    again = archives.publish(resolved(later), CountingPackager(later))
    archives.publish(resolved(first), packager)

    assert again == served
    assert packager.packaged == ["1.0.0"]


def test_a_chart_is_held_once_published_and_not_before(tmp_path: Path) -> None:
    charts = in_repo(tmp_path)
    archives = ChartArchives(BASE)
    assert archives.held(resolved(charts)) is None

    served = archives.publish(resolved(charts), charts.package)

    assert archives.held(resolved(charts)) == served
    assert archives.held(resolved(charts, "1.0.1")) is None


def test_an_archive_never_published_is_not_there() -> None:
    archives = ChartArchives(BASE)

    assert archives.archive("sha256:" + "0" * 64) is None


def test_past_the_budget_the_least_recently_used_archive_goes_first(tmp_path: Path) -> None:
    charts = in_repo(tmp_path)
    archives = ChartArchives(BASE, budget=250)
    packager = CountingPackager(size=100)
    oldest, used, newest = (resolved(charts, version) for version in VERSIONS)
    gone = archives.publish(oldest, packager)
    kept = archives.publish(used, packager)

    archives.publish(newest, packager)

    assert archives.archive(gone.digest) is None
    assert archives.archive(kept.digest) is not None
    assert archives.held_bytes == 200


def test_serving_an_archive_makes_it_the_most_recently_used(tmp_path: Path) -> None:
    charts = in_repo(tmp_path)
    archives = ChartArchives(BASE, budget=250)
    packager = CountingPackager(size=100)
    downloaded = archives.publish(resolved(charts, "1.0.0"), packager)
    idle = archives.publish(resolved(charts, "1.0.1"), packager)
    archives.archive(downloaded.digest)

    archives.publish(resolved(charts, "1.0.2"), packager)

    assert archives.archive(downloaded.digest) is not None
    assert archives.archive(idle.digest) is None


def test_an_evicted_chart_is_packaged_again_when_published_again(tmp_path: Path) -> None:
    charts = in_repo(tmp_path)
    archives = ChartArchives(BASE, budget=150)
    packager = CountingPackager(size=100)
    evicted = archives.publish(resolved(charts, "1.0.0"), packager)
    archives.publish(resolved(charts, "1.0.1"), packager)

    again = archives.publish(resolved(charts, "1.0.0"), packager)

    assert again == evicted
    assert archives.archive(evicted.digest) is not None
    assert packager.packaged == ["1.0.0", "1.0.1", "1.0.0"]


def test_an_archive_larger_than_the_budget_is_still_kept_alone(tmp_path: Path) -> None:
    charts = in_repo(tmp_path)
    archives = ChartArchives(BASE, budget=150)
    small = archives.publish(resolved(charts, "1.0.0"), CountingPackager(size=100))

    large = archives.publish(resolved(charts, "1.0.1"), CountingPackager(size=400))

    assert archives.archive(large.digest) is not None
    assert archives.archive(small.digest) is None
    assert archives.held_bytes == 400


def test_a_base_url_with_a_trailing_slash_gives_the_same_urls(tmp_path: Path) -> None:
    charts = in_repo(tmp_path)

    served = ChartArchives(BASE + "/").publish(resolved(charts), charts.package)

    assert served.url == f"{BASE}/charts/{served.digest}.tgz"


@pytest.mark.parametrize(
    ("name", "digest"),
    [
        pytest.param("sha256:" + "ab" * 32 + ".tgz", "sha256:" + "ab" * 32, id="a digest"),
        pytest.param("sha256:" + "AB" * 32 + ".tgz", None, id="upper-case hex"),
        pytest.param("sha256:" + "ab" * 31 + ".tgz", None, id="a short digest"),
        pytest.param("sha256:" + "ab" * 32, None, id="no .tgz"),
        pytest.param("sha512:" + "ab" * 64 + ".tgz", None, id="another algorithm"),
        pytest.param("demo-1.0.0.tgz", None, id="a chart file name"),
    ],
)
def test_only_a_sha256_archive_name_holds_a_digest(name: str, digest: str | None) -> None:
    assert archive_digest(name) == digest

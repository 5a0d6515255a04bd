"""How in-repo charts reach instructions: the locator's publisher is fasit serve's
`ChartArchives`, packaging with the revision's in-repo charts."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fasit.charts import ChartArchives, InRepoCharts, ResolvedChart
from fasit.reconcile import ChartLocator, ChartReference
from fasit.state import DirectoryTree, LoadLimits
from tests import states

BASE = "http://127.0.0.1:8080"


async def test_an_in_repo_chart_goes_out_as_its_served_archives_url_and_digest(
    tmp_path: Path,
) -> None:
    result = states.build(
        tmp_path,
        states.state(
            states.environment("nav", "dev"),
            states.feature("web"),
            states.chart("web", "1.0.0"),
            states.assignment("web", "1.0.0", {}),
        ),
    )
    release = states.release(result, "nav/dev", "web")
    in_repo = InRepoCharts(DirectoryTree(tmp_path), result.snapshot.load.entries, LoadLimits())
    archives = ChartArchives(BASE)

    async def publish(chart: ResolvedChart) -> ChartReference:
        served = archives.publish(chart, in_repo.package)
        return ChartReference(served.url, served.digest)

    reference = await ChartLocator(publish).locate(release)

    assert release.chart is not None
    archive = in_repo.package(release.chart).archive
    digest = "sha256:" + hashlib.sha256(archive).hexdigest()
    assert reference == ChartReference(f"{BASE}/charts/{digest}.tgz", digest)
    assert archives.archive(reference.digest) == archive

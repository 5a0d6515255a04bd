"""Planning is cached per revision, and a change re-renders only the pairs it touches."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fasit.charts import InRepoCharts
from fasit.plan import Plan, Planner, ReleaseStatus, SecretsDirectory, resolve_charts, validate_tree
from fasit.state import DirectoryTree, LoadLimits, Revision, SnapshotBuilder
from tests.helpers import write_tree
from tests.states import (
    assignment,
    chart,
    computed,
    config,
    configurable,
    environment,
    feature,
    state,
)

FLEET = state(
    chart("x", "1.0.0", {"name": computed("{{ env.name }}")}),
    chart("x", "1.1.0", {"name": computed("{{ env.name }}")}),
    chart("y", "1.0.0", {"peers": computed("{{ envs | length }}"), "level": configurable()}),
    feature("x"),
    feature("y"),
    *(environment("nav", f"e{number}") for number in range(4)),
    *(environment("acme", f"e{number}") for number in range(4)),
    assignment("x", "1.0.0", {}, file="assignments/x/all.yaml"),
    assignment("y", "1.0.0", {}, file="assignments/y/all.yaml"),
)  # fmt: skip


class Session:
    """One builder and one planner over a directory, as the server keeps them."""

    def __init__(self, root: Path, planner: Planner | None = None) -> None:
        self.root = root
        self.builder = SnapshotBuilder()
        self.planner = planner or Planner()
        self.revisions = 0
        self.last: Plan | None = None

    def plan(self, files: dict[str, str]) -> int:
        """Write `files`, build the next revision, plan it; how many pairs were rendered."""
        write_tree(self.root, files)
        self.revisions += 1
        tree = DirectoryTree(self.root)
        revision = Revision(f"r{self.revisions}", "test", datetime.now(UTC))
        snapshot = self.builder.build(tree, revision)
        charts, _ = resolve_charts(
            snapshot.index, InRepoCharts(tree, snapshot.load.entries, LoadLimits()), None
        )
        self.last = self.planner.plan(snapshot, charts)
        return self.last.rendered


def test_the_first_plan_renders_every_pair(tmp_path: Path) -> None:
    assert Session(tmp_path).plan(FLEET) == 16


def test_an_unchanged_revision_renders_nothing(tmp_path: Path) -> None:
    session = Session(tmp_path)
    session.plan(FLEET)

    assert session.plan({}) == 0


def test_a_bumped_assignment_renders_only_its_releases(tmp_path: Path) -> None:
    session = Session(tmp_path)
    session.plan(FLEET)

    assert (
        session.plan(assignment("x", "1.1.0", {"tenant": "nav"}, file="assignments/x/nav.yaml"))
        == 4
    )


def test_a_config_renders_only_its_pair(tmp_path: Path) -> None:
    session = Session(tmp_path)
    session.plan(FLEET)

    assert session.plan(config("y", "nav/e1", {"level": "debug"})) == 1


def test_an_environment_edit_renders_its_own_pairs_and_its_tenants_envs_readers(
    tmp_path: Path,
) -> None:
    session = Session(tmp_path)
    session.plan(FLEET)

    # x reads only env: one pair; y reads envs: every y pair of the tenant.
    assert session.plan(environment("nav", "e2", labels={"team": "a"})) == 1 + 4


def test_a_snapshot_from_another_builder_of_the_same_files_renders_nothing(
    tmp_path: Path,
) -> None:
    session = Session(tmp_path)
    session.plan(FLEET)
    session.builder = SnapshotBuilder()  # other objects, no shared parse cache: same keys

    assert session.plan({}) == 0


def test_changed_secrets_render_again_the_pairs_that_can_read_them(tmp_path: Path) -> None:
    secrets = write_tree(tmp_path / "secrets", {"k": "one"})
    session = Session(tmp_path / "repo", Planner(SecretsDirectory(secrets)))
    session.plan({**FLEET, **environment("nav", "e0", values={"key": {"secretRef": "k"}})})
    (secrets / "k").write_text("two, longer")

    assert session.plan({}) == 8  # every pair of the tenant whose environment holds it


def test_validate_and_the_incremental_planner_agree(tmp_path: Path) -> None:
    session = Session(tmp_path)
    session.plan(FLEET)
    session.plan(assignment("x", "1.1.0", {"tenant": "nav"}, file="assignments/x/nav.yaml"))
    fresh = validate_tree(DirectoryTree(tmp_path)).plan
    incremental = session.planner.plan(
        session.builder.build(DirectoryTree(tmp_path), Revision("r2", "test", datetime.now(UTC))),
        validate_tree(DirectoryTree(tmp_path)).charts,
    )

    assert {k: r.release_hash for k, r in incremental.releases.items()} == {
        k: r.release_hash for k, r in fresh.releases.items()
    }


def test_a_chart_broken_another_way_shows_the_new_reason(tmp_path: Path) -> None:
    session = Session(tmp_path)
    session.plan(FLEET)
    session.plan({"charts/x/1.0.0/Feature.yaml": '{"environmentKinds": 5}\n'})
    session.plan({"charts/x/1.0.0/Feature.yaml": "values: [\n"})
    assert session.last is not None
    release = session.last.releases[("nav/e0", "x")]

    assert release.status is ReleaseStatus.CHART_UNAVAILABLE
    assert "charts/x/1.0.0/Feature.yaml:2: while parsing a flow node" in release.message
    assert (
        release.message
        == validate_tree(DirectoryTree(tmp_path)).plan.releases[("nav/e0", "x")].message
    )


def test_a_dependency_cycle_reads_the_same_however_the_plan_was_reached(tmp_path: Path) -> None:
    session = Session(tmp_path)
    session.plan(
        {
            **FLEET,
            **chart("x", "2.0.0", dependencies=[{"anyOf": ["y"]}]),
            **chart("y", "2.0.0", dependencies=[{"allOf": ["x"]}]),
        }
    )
    session.plan(assignment("x", "2.0.0", {}, file="assignments/x/all.yaml"))
    session.plan(assignment("y", "2.0.0", {}, file="assignments/y/all.yaml"))
    assert session.last is not None
    fresh = validate_tree(DirectoryTree(tmp_path)).plan

    assert {
        feature: (release.status, release.message)
        for (environment, feature), release in session.last.releases.items()
        if environment == "nav/e0"
    } == {
        "x": (ReleaseStatus.MISSING_DEPENDENCY, "dependency cycle: x → y → x"),
        "y": (ReleaseStatus.MISSING_DEPENDENCY, "dependency cycle: y → x → y"),
    }
    assert {pair: r.message for pair, r in session.last.releases.items()} == {
        pair: r.message for pair, r in fresh.releases.items()
    }

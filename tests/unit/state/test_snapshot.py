"""Snapshots: the state half of the one build, and the builder that caches it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from fasit.plan import validate_tree
from fasit.state import (
    DirectoryTree,
    MemoryTree,
    ProblemCode,
    Revision,
    SnapshotBuilder,
    build_snapshot,
)
from tests.helpers import (
    BROKEN,
    ENVIRONMENT,
    FEATURE,
    FIXTURES,
    assignment,
    environment,
    write_tree,
)

ASSIGNMENT = assignment()


def revision(name: str = "r1") -> Revision:
    return Revision(name, "test", datetime(2026, 11, 21, tzinfo=UTC))


def capture(root: Path) -> MemoryTree:
    return MemoryTree.capture(DirectoryTree(root), 1 << 20)


def test_snapshot_indexes_the_state_and_targets_it(tmp_path: Path) -> None:
    files = {"env.yaml": ENVIRONMENT, "feature.yaml": FEATURE, "assign.yaml": ASSIGNMENT}
    snapshot = build_snapshot(DirectoryTree(write_tree(tmp_path, files)), revision())

    assert snapshot.servable
    assert list(snapshot.index.environments) == ["nav/prod"]
    assert list(snapshot.targeting.winners) == [("nav/prod", "aivenator")]


def test_an_error_blocks_the_revision_but_a_warning_does_not(tmp_path: Path) -> None:
    unmatched = ASSIGNMENT.replace("target: {}", "target: {aiven: enabled}\nenabled: false")
    files = {"env.yaml": ENVIRONMENT, "feature.yaml": FEATURE, "assign.yaml": unmatched}
    warned = build_snapshot(DirectoryTree(write_tree(tmp_path / "a", files)), revision())
    broken = build_snapshot(
        DirectoryTree(write_tree(tmp_path / "b", {**files, "bad.yaml": "kind: [\n"})), revision()
    )

    assert [p.code for p in warned.problems] == [ProblemCode.UNMATCHED_TARGET_LABEL]
    assert warned.servable
    assert [p.code for p in broken.blocking] == [ProblemCode.YAML_SYNTAX]
    assert not broken.servable


def test_an_assignment_that_reaches_no_environment_blocks_the_revision(tmp_path: Path) -> None:
    typo = assignment(target="{tenant: nav, env: prd}")
    files = {"env.yaml": ENVIRONMENT, "feature.yaml": FEATURE, "assign.yaml": typo}

    snapshot = build_snapshot(DirectoryTree(write_tree(tmp_path, files)), revision())

    assert [(p.code, p.line, p.message) for p in snapshot.blocking] == [
        (
            ProblemCode.UNMATCHED_TARGET_LABEL,
            5,
            "no environment has env=prd (did you mean 'prod'?) (values of 'env': prod)",
        )
    ]


def test_labels_that_exist_but_never_together_are_named_as_a_whole(tmp_path: Path) -> None:
    files = {
        "nav.yaml": environment("prod", "nav"),
        "acme.yaml": environment("dev", "acme"),
        "feature.yaml": FEATURE,
        "assign.yaml": assignment(target="{tenant: nav, env: dev}"),
    }

    snapshot = build_snapshot(DirectoryTree(write_tree(tmp_path, files)), revision())

    assert [p.message for p in snapshot.blocking] == [
        "no environment has all of tenant=nav, env=dev"
    ]


def test_validate_reports_the_snapshot_problems_and_adds_only_chart_and_render_ones() -> None:
    chart_stage = {
        ProblemCode.CHART_MISSING,
        ProblemCode.CHART_INCOMPLETE,
        ProblemCode.CHART_VERSION_MISMATCH,
        ProblemCode.CHART_YAML_INVALID,
        ProblemCode.FEATURE_YAML_INVALID,
        ProblemCode.CHART_VALUES_INVALID,
        ProblemCode.CHART_SCHEMA_INVALID,
        ProblemCode.CHART_NOT_CHECKED,
        ProblemCode.UNKNOWN_DEPENDENCY,
        ProblemCode.DEPENDENCY_CYCLE,
        ProblemCode.KIND_MISMATCH,
        ProblemCode.CONFIG_UNDECLARED,
        ProblemCode.CONFIG_WRONG_TYPE,
        ProblemCode.CONFIG_SECRET_INLINE,
        ProblemCode.RENDER_ERROR,
        ProblemCode.VALUE_KEY_CONFLICT,
        ProblemCode.MISSING_CONFIG,
        ProblemCode.MISSING_DEPENDENCY,
        ProblemCode.VALUES_INVALID,
    }
    for root in [FIXTURES / "broken" / "many-problems", *sorted(BROKEN.iterdir())]:
        tree = DirectoryTree(root)
        snapshot = build_snapshot(tree, revision())
        validation = validate_tree(tree)

        rest = [p for p in validation.problems if p not in snapshot.problems]
        assert [p for p in validation.problems if p in snapshot.problems] == list(
            snapshot.problems
        ), root.name
        assert {p.code for p in rest} <= chart_stage, root.name


def test_builder_builds_each_revision_once(tmp_path: Path) -> None:
    builder = SnapshotBuilder()
    tree = capture(write_tree(tmp_path, {"env.yaml": ENVIRONMENT}))

    first = builder.build(tree, revision("a"))
    again = builder.build(tree, revision("a"))

    assert again is first
    assert builder.builds == 1


def test_builder_forgets_the_least_recently_used_revision(tmp_path: Path) -> None:
    builder = SnapshotBuilder(revisions_kept=2)
    tree = capture(write_tree(tmp_path, {"env.yaml": ENVIRONMENT}))
    for name in ["a", "b", "a", "c", "a", "b"]:
        builder.build(tree, revision(name))

    assert builder.builds == 4  # a, b, c, then b again: it was the least recently used


def test_a_rebuild_parses_only_the_changed_file(tmp_path: Path) -> None:
    builder = SnapshotBuilder()
    files = {f"envs/e{n}.yaml": ENVIRONMENT.replace("prod", f"e{n}") for n in range(5)}
    builder.build(capture(write_tree(tmp_path, files)), revision("a"))
    builder.parse_cache.hits = builder.parse_cache.misses = 0

    (tmp_path / "envs/e3.yaml").write_text(ENVIRONMENT.replace("prod", "changed"))
    snapshot = builder.build(capture(tmp_path), revision("b"))

    assert (builder.parse_cache.hits, builder.parse_cache.misses) == (4, 1)
    assert "nav/changed" in snapshot.index.environments


def test_the_parse_cache_keeps_only_the_files_of_the_latest_build(tmp_path: Path) -> None:
    builder = SnapshotBuilder()
    write_tree(tmp_path, {"a.yaml": ENVIRONMENT, "b.yaml": ENVIRONMENT.replace("prod", "dev")})
    builder.build(capture(tmp_path), revision("a"))
    (tmp_path / "b.yaml").unlink()
    builder.build(capture(tmp_path), revision("b"))

    assert len(builder.parse_cache) == 1


def test_a_cached_file_reports_its_problems_again(tmp_path: Path) -> None:
    builder = SnapshotBuilder()
    write_tree(tmp_path, {"bad.yaml": "kind: [\n", "env.yaml": ENVIRONMENT})
    builder.build(capture(tmp_path), revision("a"))
    (tmp_path / "env.yaml").write_text(ENVIRONMENT.replace("prod", "dev"))

    snapshot = builder.build(capture(tmp_path), revision("b"))

    assert [p.code for p in snapshot.problems] == [ProblemCode.YAML_SYNTAX]


def test_a_document_read_again_from_the_same_bytes_has_the_same_content_key(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"env.yaml": ENVIRONMENT})
    first = build_snapshot(DirectoryTree(tmp_path), revision("a"))
    again = build_snapshot(capture(tmp_path), revision("b"))  # another tree, no shared cache
    [located] = first.index.environments.values()

    assert located.key == f"env.yaml@sha256:{hashlib.sha256(ENVIRONMENT.encode()).hexdigest()}#0"
    assert [e.key for e in again.index.environments.values()] == [located.key]


def test_targeting_is_reused_from_a_snapshot_of_another_build_when_its_inputs_are_unchanged(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"env.yaml": ENVIRONMENT, "feature.yaml": FEATURE, "a.yaml": ASSIGNMENT})
    previous = build_snapshot(DirectoryTree(tmp_path), revision("a"))
    (tmp_path / "feature.yaml").write_text(FEATURE + "description: changed\n")

    snapshot = build_snapshot(DirectoryTree(tmp_path), revision("b"), previous=previous)

    assert snapshot.targeting is previous.targeting

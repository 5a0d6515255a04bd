"""What a change does per release: install, upgrade, downgrade, values-changed, redeploy,
uninstall or orphan, status-changed; changed value keys, masked where secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from fasit.plan import MASK, ChangeKind, diff_plans, version_key
from tests.states import (
    assignment,
    build,
    chart,
    computed,
    config,
    configurable,
    environment,
    feature,
    state,
)

X_VALUES = {"level": configurable(), "token": configurable(secret=True)}


def base_state() -> dict[str, str]:
    return state(
        *(chart("x", v, X_VALUES) for v in ("1.0.0", "2.0.0")),
        chart("y", "1.0.0", {"name": computed("{{ env.name }}")}),
        feature("x"),
        feature("y"),
        environment("nav", "prod"),
        environment("nav", "dev"),
        config("x", "nav/prod", {"level": "info", "token": {"secretRef": "old"}}),
        assignment("x", "1.0.0", {}, file="assignments/x/all.yaml"),
        assignment("y", "1.0.0", {"env": "prod"}, file="assignments/y/prod.yaml"),
    )  # fmt: skip


def changes(tmp_path: Path, **edits: str) -> list[tuple[str, str, ChangeKind]]:
    base = build(tmp_path / "base", base_state())
    files = {**base_state(), **edits}
    head = build(tmp_path / "head", {k: v for k, v in files.items() if v})
    return [(c.environment, c.feature, c.kind) for c in diff_plans(base.plan, head.plan)]


def test_nothing_changes_between_equal_states(tmp_path: Path) -> None:
    assert changes(tmp_path) == []


def test_a_new_assignment_installs(tmp_path: Path) -> None:
    edit = assignment("y", "1.0.0", {}, file="assignments/y/prod.yaml")
    assert changes(tmp_path, **edit) == [("nav/dev", "y", ChangeKind.INSTALL)]


@pytest.mark.parametrize(
    ("version", "kind"), [("2.0.0", ChangeKind.UPGRADE), ("0.9.0", ChangeKind.DOWNGRADE)]
)
def test_a_version_bump_upgrades_or_downgrades(
    tmp_path: Path, version: str, kind: ChangeKind
) -> None:
    edits = {
        **assignment("x", version, {}, file="assignments/x/all.yaml"),
        **chart("x", "0.9.0", X_VALUES),
    }
    assert changes(tmp_path, **edits) == [("nav/dev", "x", kind), ("nav/prod", "x", kind)]


def test_a_config_edit_changes_values_and_names_the_keys_masking_secrets(tmp_path: Path) -> None:
    base = build(tmp_path / "base", base_state())
    edit = config("x", "nav/prod", {"level": "debug", "token": {"secretRef": "new"}})
    head = build(tmp_path / "head", {**base_state(), **edit})

    [change] = diff_plans(base.plan, head.plan)
    assert change.kind is ChangeKind.VALUES_CHANGED
    assert change.changed_keys == ["level", "token"]
    assert (change.values[0].before, change.values[0].after) == ("info", "debug")
    assert (change.values[1].before, change.values[1].after) == (MASK, MASK)


def test_a_redeploy_field_change_redeploys(tmp_path: Path) -> None:
    edit = assignment("y", "1.0.0", {"env": "prod"}, redeploy="1", file="assignments/y/prod.yaml")
    assert changes(tmp_path, **edit) == [("nav/prod", "y", ChangeKind.REDEPLOY)]


def test_a_release_no_assignment_reaches_is_an_orphan_without_prune(tmp_path: Path) -> None:
    assert changes(tmp_path, **{"assignments/y/prod.yaml": ""}) == [
        ("nav/prod", "y", ChangeKind.ORPHAN)
    ]


def test_a_release_no_assignment_reaches_is_uninstalled_with_prune(tmp_path: Path) -> None:
    edits = {"assignments/y/prod.yaml": "", **feature("y", prune=True)}
    assert changes(tmp_path, **edits) == [("nav/prod", "y", ChangeKind.UNINSTALL)]


def test_disabling_a_release_changes_its_status(tmp_path: Path) -> None:
    edit = assignment("y", "1.0.0", {"env": "prod"}, enabled=False, file="assignments/y/prod.yaml")
    assert changes(tmp_path, **edit) == [("nav/prod", "y", ChangeKind.STATUS_CHANGED)]


def test_a_version_move_under_an_unchanged_status_is_an_upgrade_not_a_status_change(
    tmp_path: Path,
) -> None:
    disabled = assignment(
        "y", "1.0.0", {"env": "prod"}, enabled=False, file="assignments/y/prod.yaml"
    )
    base = build(tmp_path / "base", {**base_state(), **disabled})
    moved = assignment("y", "2.0.0", {"env": "prod"}, enabled=False, file="assignments/y/prod.yaml")
    head = build(tmp_path / "head", {**base_state(), **moved, **chart("y", "2.0.0")})

    [change] = diff_plans(base.plan, head.plan)

    assert (change.kind, change.from_version, change.to_version) == (
        ChangeKind.UPGRADE,
        "1.0.0",
        "2.0.0",
    )
    assert (change.from_status, change.to_status) == ("disabled", "disabled")
    assert change.message == "still disabled: nothing is deployed"


@pytest.mark.parametrize(
    ("older", "newer"),
    [("1.9.0", "1.10.0"), ("1.0.0-rc.1", "1.0.0"), ("1.0.0-rc.2", "1.0.0-rc.10"), ("v1", "2")],
)
def test_versions_order_like_semver(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)

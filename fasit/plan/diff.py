"""What a change to the state does: the difference between two plans, per release.

Per (environment, feature): `install` (nothing was planned), `upgrade` / `downgrade` (the
version moves), `values-changed` (same version, other values), `redeploy` (same version and
values; chart digest or `redeploy` changed), `uninstall` (no assignment reaches it any more
and its Feature has `prune: true`) or `orphan` (the same without prune, or with `protected:
true`: it keeps running, unmanaged), and `status-changed` (the status differs: planned on one
side and not the other, or two other statuses). A version that moves under the same status
other than planned (a disabled release, say) is still an upgrade or downgrade, saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from fasit.plan.release import DesiredRelease
from fasit.plan.revision_plan import Plan
from fasit.plan.secrets import MASK

__all__ = ["Change", "ChangeKind", "ValueChange", "diff_plans", "version_key"]


class ChangeKind(StrEnum):
    INSTALL = "install"
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    VALUES_CHANGED = "values-changed"
    REDEPLOY = "redeploy"
    UNINSTALL = "uninstall"
    ORPHAN = "orphan"
    STATUS_CHANGED = "status-changed"


@dataclass(frozen=True, slots=True)
class ValueChange:
    """One value key that differs, as people may see it (masked where secret)."""

    key: str
    before: object
    after: object
    added: bool = False
    removed: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    environment: str
    feature: str
    kind: ChangeKind
    from_version: str | None
    to_version: str | None
    from_status: str | None
    to_status: str | None
    values: tuple[ValueChange, ...] = ()
    message: str = ""

    @property
    def changed_keys(self) -> list[str]:
        return [change.key for change in self.values]

    def document(self) -> dict[str, object]:
        """The change as plain data (`fasit plan --format json`, the dashboard); values are
        already masked where secret."""
        return {
            "environment": self.environment,
            "feature": self.feature,
            "change": self.kind.value,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "changed_keys": self.changed_keys,
            "values": {
                value.key: {"from": value.before, "to": value.after} for value in self.values
            },
            "message": self.message,
        }


_ABSENT = object()


def diff_plans(base: Plan, head: Plan) -> list[Change]:
    """Every release that differs between `base` and `head`, by environment then feature."""
    changes = []
    for pair in sorted(base.releases.keys() | head.releases.keys()):
        old, new = base.releases.get(pair), head.releases.get(pair)
        if old is new:  # carried over by the incremental planner: nothing can differ
            continue
        change = _change(pair, old, new, head)
        if change is not None:
            changes.append(change)
    return changes


def _change(
    pair: tuple[str, str], old: DesiredRelease | None, new: DesiredRelease | None, head: Plan
) -> Change | None:
    if new is None:
        assert old is not None
        if not old.planned:
            return _between(pair, old, None, ChangeKind.STATUS_CHANGED, (), _UNREACHED)
        if pair[1] in head.protected:
            message = f"{_UNREACHED}; the Feature has protected: true, so it keeps running"
            return _between(pair, old, None, ChangeKind.ORPHAN, _values(old, None), message)
        if pair[1] in head.prune:
            message = f"{_UNREACHED}; the Feature prunes, so it is uninstalled"
            return _between(pair, old, None, ChangeKind.UNINSTALL, _values(old, None), message)
        message = f"{_UNREACHED}; it keeps running unmanaged (set prune: true to uninstall)"
        return _between(pair, old, None, ChangeKind.ORPHAN, _values(old, None), message)
    if old is None:
        kind = ChangeKind.INSTALL if new.planned else ChangeKind.STATUS_CHANGED
        return _between(pair, None, new, kind, _values(None, new), new.message)
    if old.status is not new.status:
        return _between(pair, old, new, ChangeKind.STATUS_CHANGED, (), new.message)
    # The same status on both sides; when it is not `planned`, nothing is deployed either way,
    # but the desired version still moves and a reviewer must see it as such.
    unplanned = "" if new.planned else f"still {new.status.value}: nothing is deployed"
    values = _values(old, new)
    if old.version != new.version:
        upward = version_key(new.version) > version_key(old.version)
        kind = ChangeKind.UPGRADE if upward else ChangeKind.DOWNGRADE
        return _between(pair, old, new, kind, values, unplanned)
    if not new.planned:
        return None
    if values:
        return _between(pair, old, new, ChangeKind.VALUES_CHANGED, values)
    if old.release_hash != new.release_hash:
        return _between(pair, old, new, ChangeKind.REDEPLOY, (), _redeploy_reason(old, new))
    return None


_UNREACHED = "no assignment reaches it any more"


def _between(
    pair: tuple[str, str],
    old: DesiredRelease | None,
    new: DesiredRelease | None,
    kind: ChangeKind,
    values: tuple[ValueChange, ...] = (),
    message: str = "",
) -> Change:
    return Change(
        pair[0],
        pair[1],
        kind,
        None if old is None else old.version,
        None if new is None else new.version,
        None if old is None else old.status.value,
        None if new is None else new.status.value,
        values,
        message,
    )


def _values(old: DesiredRelease | None, new: DesiredRelease | None) -> tuple[ValueChange, ...]:
    before = old.flat if old is not None and old.planned else {}
    after = new.flat if new is not None and new.planned else {}
    secret = (old.secret_keys if old else frozenset()) | (new.secret_keys if new else frozenset())
    changes = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if was == now and type(was) is type(now):
            continue
        changes.append(
            ValueChange(
                key,
                None if was is _ABSENT else (MASK if key in secret else was),
                None if now is _ABSENT else (MASK if key in secret else now),
                added=was is _ABSENT,
                removed=now is _ABSENT,
            )
        )
    return tuple(changes)


def _redeploy_reason(old: DesiredRelease, new: DesiredRelease) -> str:
    if old.assignment.model.redeploy != new.assignment.model.redeploy:
        return "redeploy requested"
    if old.digest != new.digest:
        return f"chart changed ({old.digest} → {new.digest})"
    return "the fasit metadata or chart location changed"


_PART = re.compile(r"\d+|[A-Za-z]+")


def version_key(version: str) -> tuple[object, ...]:
    """Order versions the way SemVer does: numbers numerically; a pre-release before its release."""
    main, _, pre = version.lstrip("v").partition("-")
    main = main.partition("+")[0]

    def parts(text: str) -> tuple[tuple[int, int | str], ...]:
        return tuple(
            (0, int(part)) if part.isdigit() else (1, part) for part in _PART.findall(text)
        )

    return (parts(main), 0 if pre else 1, parts(pre))

"""`fasit plan` output: the desired state, or the changes between two revisions.

Text for terminals, JSON for tools (shape documented in docs/cli.md and kept stable),
Markdown for a pull request's job summary. Everything here is for people or their tools, so
every value is shown masked where it is a secret or computed from one.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from fasit.options import PlanFormat
from fasit.plan import (
    Change,
    ChangeKind,
    DesiredRelease,
    Plan,
    ReleaseStatus,
    ValueChange,
    rollout_orders,
    wave_label,
)

__all__ = ["PlanFormat", "PlanReport", "render_plan"]

MARKDOWN_LIMIT = 60_000
"""Characters of Markdown at most: a job summary stays readable (GitHub allows 1 MiB)."""
_ORDER = list(ChangeKind)


@dataclass(frozen=True, slots=True)
class PlanReport:
    head: Plan
    base: Plan | None
    changes: Sequence[Change]
    head_name: str
    base_name: str | None


def render_plan(report: PlanReport, output: PlanFormat) -> str:
    """The report in `output` format, ending with a newline."""
    if output is PlanFormat.JSON:
        return _json(report)
    if output is PlanFormat.MARKDOWN:
        return _markdown(report)
    return _text(report)


# JSON


def _json(report: PlanReport) -> str:
    document = {
        "head": {"revision": report.head.revision.id, "name": report.head_name},
        "base": None
        if report.base is None
        else {"revision": report.base.revision.id, "name": report.base_name},
        "releases": [_release_json(report.head, release) for release in report.head.ordered()],
        "changes": [change.document() for change in report.changes],
        "rollouts": [order.document() for order in rollout_orders(report.head, report.changes)],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _release_json(plan: Plan, release: DesiredRelease) -> dict[str, object]:
    location = release.assignment_location
    layout = plan.rollouts.get(release.feature_name)
    wave = None
    if layout is not None:
        wave = {
            "rollout": layout.name,
            "wave": layout.names[layout.wave_of(release.environment_id)],
        }
    return {
        "environment": release.environment_id,
        "feature": release.feature_name,
        "status": release.status.value,
        "version": release.version,
        "chart": release.feature.model.chart,
        "digest": release.digest,
        "namespace": release.namespace,
        "values": release.shown_values(),
        "release_hash": release.release_hash,
        "assignment": {"file": location.file, "line": location.line},
        "message": release.message,
        "rollout": wave,
    }


# Text


def _text(report: PlanReport) -> str:
    if report.base is None:
        return _text_state(report.head, report.head_name)
    lines = [f"Plan: {report.base_name} → {report.head_name}", ""]
    by_environment: dict[str, list[Change]] = defaultdict(list)
    for change in report.changes:
        by_environment[change.environment].append(change)
    for environment, changes in by_environment.items():
        lines.append(environment)
        for change in changes:
            sign = _SIGNS[change.kind]
            wave = wave_label(report.head, change.environment, change.feature)
            kind = f"{change.kind}, {wave}" if wave else change.kind
            lines.append(f"  {sign} {change.feature} {_move(change)} ({kind})")
            if change.message:
                lines.append(f"      {change.message}")
            lines.extend(f"      {_value_line(value)}" for value in change.values)
        lines.append("")
    orders = rollout_orders(report.head, report.changes)
    if orders:
        lines += ["Rollout order:", *(f"  {order.sentence()}" for order in orders), ""]
    lines.append(_summary(report.changes))
    return "\n".join(lines) + "\n"


_SIGNS = {
    ChangeKind.INSTALL: "+",
    ChangeKind.UPGRADE: "~",
    ChangeKind.DOWNGRADE: "~",
    ChangeKind.VALUES_CHANGED: "~",
    ChangeKind.REDEPLOY: "~",
    ChangeKind.UNINSTALL: "-",
    ChangeKind.ORPHAN: "!",
    ChangeKind.STATUS_CHANGED: "*",
}


def _text_state(plan: Plan, name: str) -> str:
    lines = [f"Desired state of {name}", ""]
    current = None
    for release in plan.ordered():
        if release.environment_id != current:
            if current is not None:
                lines.append("")
            current = release.environment_id
            lines.append(current)
        status = "" if release.planned else f" [{release.status}]"
        wave = wave_label(plan, release.environment_id, release.feature_name)
        wave = f" ({wave})" if wave else ""
        lines.append(f"  {release.feature_name} {release.version}{status}{wave}")
        if release.message:
            lines.append(f"      {release.message}")
        for source in release.sources() if release.planned else ():
            lines.append(f"      {source.key} = {_shown(source.shown)}")
    counts = Counter(release.status for release in plan.releases.values())
    lines += ["", _counts(counts, len(plan.releases))]
    return "\n".join(lines) + "\n"


def _counts(counts: Counter[ReleaseStatus], total: int) -> str:
    parts = ", ".join(f"{counts[status]} {status}" for status in ReleaseStatus if counts[status])
    return f"{total} releases: {parts}" if total else "no releases"


def _summary(changes: Sequence[Change]) -> str:
    if not changes:
        return "No changes."
    kinds = Counter(change.kind for change in changes)
    environments = len({change.environment for change in changes})
    parts = ", ".join(f"{kinds[kind]} {kind}" for kind in _ORDER if kinds[kind])
    noun = "environment" if environments == 1 else "environments"
    return f"{len(changes)} changes in {environments} {noun}: {parts}"


def _move(change: Change) -> str:
    if change.kind is ChangeKind.STATUS_CHANGED:
        return f"{change.from_status or 'absent'} → {change.to_status or 'absent'}"
    if change.from_version and change.to_version and change.from_version != change.to_version:
        return f"{change.from_version} → {change.to_version}"
    return change.to_version or change.from_version or ""


def _value_line(value: ValueChange) -> str:
    if value.added:
        return f"+ {value.key} = {_shown(value.after)}"
    if value.removed:
        return f"- {value.key} = {_shown(value.before)}"
    return f"~ {value.key}: {_shown(value.before)} → {_shown(value.after)}"


def _shown(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


# Markdown


def _markdown(report: PlanReport) -> str:
    if report.base is None:
        return _markdown_state(report, f"## fasit plan: `{report.head_name}`")
    title = f"## fasit plan: `{report.base_name}` → `{report.head_name}`"
    lines = [title, "", _summary(report.changes), ""]
    if report.changes:
        kinds = Counter(change.kind for change in report.changes)
        lines += ["| change | releases |", "|---|---:|"]
        lines += [f"| {kind} | {kinds[kind]} |" for kind in _ORDER if kinds[kind]]
        lines.append("")
    orders = rollout_orders(report.head, report.changes)
    if orders:
        lines += ["Rollout order:", ""]
        lines += [f"- {_escape(order.sentence())}" for order in orders]
        lines.append("")
    groups: dict[tuple[str, ChangeKind, str], list[Change]] = defaultdict(list)
    for change in report.changes:
        groups[(change.feature, change.kind, _move(change))].append(change)
    size = sum(len(line) + 1 for line in lines)
    shown = 0
    for (feature, kind, move), changes in sorted(groups.items(), key=_group_order):
        block = _markdown_group(feature, kind, move, changes)
        if size + len(block) > MARKDOWN_LIMIT:
            break
        lines.append(block)
        size += len(block) + 1
        shown += len(changes)
    left = len(report.changes) - shown
    if left:
        lines.append(
            f"\n… and {left} more changes not shown here;"
            " `fasit plan --format json` lists them all."
        )
    return "\n".join(lines) + "\n"


def _group_order(group: tuple[tuple[str, ChangeKind, str], list[Change]]) -> tuple[object, ...]:
    (feature, kind, move), _ = group
    return (feature, _ORDER.index(kind), move)


def _markdown_group(feature: str, kind: ChangeKind, move: str, changes: list[Change]) -> str:
    environments = sorted({change.environment for change in changes})
    noun = "environment" if len(environments) == 1 else "environments"
    keys = sorted({key for change in changes for key in change.changed_keys})
    lines = [f"### {feature} {_escape(move)} · {kind} · {len(environments)} {noun}", ""]
    if keys:
        lines.append(f"Changed values: {', '.join(f'`{key}`' for key in keys)}")
        lines.append("")
    lines += ["<details><summary>Details</summary>", ""]
    for change in changes:
        note = f": {_escape(change.message)}" if change.message else ""
        lines.append(f"- `{change.environment}`{note}")
        lines.extend(f"  - `{_escape(_value_line(value))}`" for value in change.values)
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def _markdown_state(report: PlanReport, title: str) -> str:
    plan = report.head
    counts = Counter(release.status for release in plan.releases.values())
    lines = [title, "", _counts(counts, len(plan.releases)), ""]
    lines += ["| environment | feature | version | status |", "|---|---|---|---|"]
    size = sum(len(line) + 1 for line in lines)
    shown = 0
    for release in plan.ordered():
        row = (
            f"| `{release.environment_id}` | {release.feature_name} | {_escape(release.version)}"
            f" | {release.status} |"
        )
        if size + len(row) > MARKDOWN_LIMIT:
            break
        lines.append(row)
        size += len(row) + 1
        shown += 1
    if shown < len(plan.releases):
        lines.append(f"\n… and {len(plan.releases) - shown} more releases not shown here.")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """Text that cannot open HTML or break out of Markdown code spans."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")

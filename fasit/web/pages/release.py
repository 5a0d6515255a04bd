"""One release (an environment's feature): why this version and each value (file and line,
secrets masked), the rendered values, the decision history, and the deploy history with the
agent's log lines."""

from __future__ import annotations

from starlette.requests import Request

from fasit.plan import Explanation, explain
from fasit.reconcile import Deploy
from fasit.web import shown
from fasit.web.pages.sources import Sources
from fasit.web.query import NotFound

__all__ = ["DEPLOYS_WITH_LOGS", "HISTORY_SHOWN", "release_page"]

HISTORY_SHOWN = 50
"""Decisions and instructions listed at most (the status store keeps more)."""
DEPLOYS_WITH_LOGS = 5
"""The latest instructions shown with their agent log lines."""
LOG_LINES_SHOWN = 500


async def release_page(sources: Sources, request: Request) -> dict[str, object]:
    environment = f"{request.path_params['tenant']}/{request.path_params['name']}"
    feature = request.path_params["feature"]
    summary = sources.summaries.current()
    view = next(
        (v for v in summary.by_environment.get(environment, ()) if v.feature == feature), None
    )
    planned = sources.read.planned()
    explanation = None
    if planned is not None:
        try:
            explanation = explain(planned[0], planned[1], environment, feature)
        except KeyError:
            explanation = None
    if view is None and explanation is None:
        raise NotFound(f"no release of {feature!r} is desired or running on {environment!r}")
    history = sources.read.history
    decisions = await history.decisions(environment, feature, HISTORY_SHOWN)
    deploys = await history.deploys(environment, feature, HISTORY_SHOWN * 4)
    instructions = _instructions(deploys)[:HISTORY_SHOWN]
    for instruction in instructions[:DEPLOYS_WITH_LOGS]:
        records = await history.logs(str(instruction["instruction_id"]), LOG_LINES_SHOWN)
        instruction["logs"] = [
            {"at": shown.time(r.line.at), "kind": r.line.kind.value, "text": r.line.text}
            for r in records
        ]
    return {
        "environment": environment,
        "feature": feature,
        "status": None if view is None else shown.release(view),
        **_explained(explanation),
        "decisions": [
            {
                "reason": record.reason.value,
                "message": record.message,
                "version": record.version or None,
                "release_hash": record.release_hash or None,
                "revision": record.revision,
                "at": shown.time(record.at),
            }
            for record in decisions
        ],
        "deploys": instructions,
    }


def _explained(explanation: Explanation | None) -> dict[str, object]:
    """`fasit explain`'s document, the chart, and the rendered values (masked)."""
    release = None if explanation is None else explanation.release
    planned = release is not None and release.planned
    return {
        "explanation": None if explanation is None else explanation.document(),
        "chart": None
        if release is None
        else {
            "chart": release.feature.model.chart,
            "digest": release.digest,
            "namespace": release.namespace,
        },
        "rendered": release.shown_values() if release is not None and planned else None,
    }


def _instructions(rows: list[Deploy]) -> list[dict[str, object]]:
    """The deploy log's rows (newest first) grouped by instruction, newest first, each with
    its states in order."""
    grouped: dict[str, dict[str, object]] = {}
    for row in rows:
        entry = grouped.get(row.instruction_id)
        if entry is None:
            entry = grouped[row.instruction_id] = {
                "instruction_id": row.instruction_id,
                "action": row.action.value,
                "change": row.change.value,
                "from_version": row.from_version or None,
                "version": row.version,
                "summary": row.summary,
                "release_hash": row.release_hash,
                "revision": row.revision,
                "attempt": row.attempt,
                "state": row.state.value,
                "sent_at": shown.time(row.sent_at),
                "updated_at": shown.time(row.updated_at),
                "error": row.error or None,
                "timed_out": row.timed_out,
                "states": [],
                "logs": [],
            }
        states = entry["states"]
        assert isinstance(states, list)
        states.insert(0, {"state": row.state.value, "at": shown.time(row.updated_at)})
    return list(grouped.values())

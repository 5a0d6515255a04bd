"""Rows of the status store (SQLite and PostgreSQL alike) and the records they hold, both ways."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fasit.agents import Action, LogKind, LogLine, ReleaseState
from fasit.reconcile.decisions import Reason
from fasit.reconcile.deploys import Deploy, DeployState
from fasit.reconcile.store import DecisionRecord, InventoryRecord, LogRecord

__all__ = [
    "DECISION_COLUMNS",
    "DEPLOY_COLUMNS",
    "Row",
    "decision_of",
    "deploy_of_row",
    "deploy_row",
    "inventory_of",
    "log_of",
    "releases_json",
]

Row = tuple[Any, ...]

DEPLOY_COLUMNS = (
    "instruction_id, environment, feature, action, state, version, release_hash, revision, "
    "attempt, namespace, session_id, error, timed_out, sent_at, updated_at, deadline, "
    "from_version"
)
DECISION_COLUMNS = "environment, feature, reason, message, version, release_hash, revision, at"


def deploy_row(deploy: Deploy) -> tuple[object, ...]:
    return (
        deploy.instruction_id,
        deploy.environment,
        deploy.feature,
        deploy.action.value,
        deploy.state.value,
        deploy.version,
        deploy.release_hash,
        deploy.revision,
        deploy.attempt,
        deploy.namespace,
        deploy.session_id,
        deploy.error,
        int(deploy.timed_out),
        deploy.sent_at.isoformat(),
        deploy.updated_at.isoformat(),
        deploy.deadline.isoformat(),
        deploy.from_version,
    )


def deploy_of_row(row: Row) -> Deploy:
    (
        instruction_id,
        environment,
        feature,
        action,
        state,
        version,
        release_hash,
        revision,
        attempt,
        namespace,
        session_id,
        error,
        timed_out,
        sent_at,
        updated_at,
        deadline,
        from_version,
    ) = row
    return Deploy(
        str(instruction_id),
        str(environment),
        str(feature),
        Action(action),
        str(version),
        str(release_hash),
        str(revision),
        int(str(attempt)),
        DeployState(state),
        datetime.fromisoformat(str(sent_at)),
        datetime.fromisoformat(str(updated_at)),
        datetime.fromisoformat(str(deadline)),
        str(namespace),
        str(session_id),
        str(error),
        bool(timed_out),
        str(from_version),
    )


def decision_of(row: Row) -> DecisionRecord:
    environment, feature, reason, message, version, release_hash, revision, at = row
    return DecisionRecord(
        str(environment),
        str(feature),
        Reason(reason),
        str(message),
        str(version),
        str(release_hash),
        str(revision),
        datetime.fromisoformat(str(at)),
    )


def log_of(row: Row) -> LogRecord:
    instruction_id, environment, at, kind, text = row
    line = LogLine(datetime.fromisoformat(str(at)), LogKind(kind), str(text))
    return LogRecord(str(instruction_id), str(environment), line)


def releases_json(releases: tuple[ReleaseState, ...]) -> str:
    return json.dumps([_release_document(state) for state in releases])


def _release_document(state: ReleaseState) -> dict[str, object]:
    return {
        "name": state.name,
        "namespace": state.namespace,
        "chart": state.chart,
        "version": state.version,
        "release_hash": state.release_hash,
        "status": state.status,
        "revision": state.revision,
        "updated": None if state.updated is None else state.updated.isoformat(),
    }


def inventory_of(row: Row) -> InventoryRecord:
    environment, at, releases, error = row
    states = tuple(
        ReleaseState(
            str(document["name"]),
            str(document["namespace"]),
            str(document["chart"]),
            str(document["version"]),
            str(document["release_hash"]),
            str(document["status"]),
            int(document["revision"]),
            None if document["updated"] is None else datetime.fromisoformat(document["updated"]),
        )
        for document in json.loads(str(releases))
    )
    return InventoryRecord(str(environment), datetime.fromisoformat(str(at)), states, str(error))

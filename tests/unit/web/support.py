"""A fleet whose release views and agents a test sets, and a dashboard over one deployed
release, for the web side's specs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from starlette.testclient import TestClient

from fasit.reconcile import AgentView, Reason, ReleaseView, Status
from fasit.state import SnapshotStore
from fasit.web import History, ReadSide, create_app
from tests import states

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@dataclass
class StaticFleet:
    views: list[ReleaseView] = field(default_factory=list)
    agents: dict[str, AgentView] = field(default_factory=dict)
    generation: int = 0

    def releases(self) -> list[ReleaseView]:
        return self.views

    def agent(self, environment: str) -> AgentView | None:
        return self.agents.get(environment)

    def change(self, views: list[ReleaseView]) -> None:
        self.views = views
        self.generation += 1


def release_client(tmp_path: Path, history: History) -> TestClient:
    """The dashboard over nav/dev running web 1.0.0 (DEPLOYED), its history from `history`."""
    files = states.state(
        states.environment("nav", "dev"),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.assignment("web", "1.0.0", {}),
    )
    built = states.build(tmp_path / "state", files)
    snapshots = SnapshotStore()
    snapshots.offer(built.snapshot)
    view = ReleaseView(
        "nav/dev", "web", Status.DEPLOYED, Reason.UNCHANGED, "1.0.0", "1.0.0", "", AT
    )
    read = ReadSide(
        snapshots,
        StaticFleet([view]),
        lambda: 1,
        planned=lambda: (built.snapshot, built.plan),
        history=history,
    )
    return TestClient(create_app(read))

"""A fleet whose release views and agents a test sets, for the web side's specs."""

from __future__ import annotations

from dataclasses import dataclass, field

from fasit.reconcile import AgentView, ReleaseView


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

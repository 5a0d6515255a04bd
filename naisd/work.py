"""What naisd works with: instructions as plain data, results, releases, and the Executor seam.

The agent (agent.py) turns wire messages into `Work`, hands each to its `Executor` one at a
time, and keeps every `WorkResult` by instruction id. Executors: helm.py (the helm CLI) and
fake.py (a simulated cluster in memory). Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Protocol

from fasit_proto.agent.v1.vocabulary import Action, LogKind, Outcome

__all__ = [
    "Action",
    "Applied",
    "Executor",
    "Inventory",
    "LogKind",
    "LogSink",
    "Outcome",
    "Release",
    "Work",
    "WorkResult",
]


@dataclass(frozen=True, slots=True)
class Work:
    """One instruction to carry out."""

    id: str
    release: str
    namespace: str
    chart: str
    digest: str
    version: str
    values: Mapping[str, object]
    release_hash: str
    timeout: float
    """Seconds (helm --timeout)."""
    action: Action


@dataclass(frozen=True, slots=True)
class Release:
    """One helm release; `release_hash` is "" when fasit did not deploy it."""

    name: str
    namespace: str
    chart: str
    version: str
    release_hash: str
    status: str
    revision: int
    updated_ms: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Release:
        return cls(
            name=str(data["name"]),
            namespace=str(data["namespace"]),
            chart=str(data["chart"]),
            version=str(data["version"]),
            release_hash=str(data["release_hash"]),
            status=str(data["status"]),
            revision=_int(data["revision"]),
            updated_ms=_int(data.get("updated_ms", 0)),
        )


@dataclass(frozen=True, slots=True)
class Applied:
    """What an executor reports for one piece of work."""

    outcome: Outcome
    error: str = ""
    release: Release | None = None


@dataclass(frozen=True, slots=True)
class WorkResult:
    """How an instruction ended: the one answer for its id, kept by the agent."""

    instruction_id: str
    outcome: Outcome
    error: str
    release: Release | None
    finished_ms: int
    interrupted: bool = False

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> WorkResult:
        release = data.get("release")
        return cls(
            instruction_id=str(data["instruction_id"]),
            outcome=Outcome(str(data["outcome"])),
            error=str(data["error"]),
            release=Release.from_json(release) if isinstance(release, Mapping) else None,
            finished_ms=_int(data["finished_ms"]),
            interrupted=bool(data.get("interrupted", False)),
        )


@dataclass(frozen=True, slots=True)
class Inventory:
    """Every release the executor sees; with `error`, it could not look (`releases` is empty)."""

    releases: tuple[Release, ...]
    error: str = ""


LogSink = Callable[[LogKind, str], None]
"""Where an executor writes its log lines; the agent streams them as Progress."""


class Executor(Protocol):
    """Carries out work in one environment. One `apply` at a time (the agent is serial).

    `apply` may be cancelled (naisd stopping): it must then stop what it runs (helm's process
    group) before re-raising CancelledError. Any other exception counts as a failed result.
    """

    name: str

    async def apply(self, work: Work, log: LogSink) -> Applied: ...

    async def inventory(self) -> Inventory: ...

    def is_healthy(self) -> bool:
        """False: the agent is hung: it sends no heartbeats, and once the controller ends its
        session (the agent timeout) it does not reconnect."""
        ...


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected an integer, got {value!r}")
    return int(value)

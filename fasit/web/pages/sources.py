"""What every page reads: the read side and the fleet summary made from it."""

from __future__ import annotations

from dataclasses import dataclass, field

from fasit.state import Snapshot
from fasit.web.read import ReadSide
from fasit.web.summary import Summaries

__all__ = ["Sources"]


@dataclass(slots=True)
class Sources:
    read: ReadSide
    summaries: Summaries = field(init=False)

    def __post_init__(self) -> None:
        self.summaries = Summaries(self.read)

    def snapshot(self) -> Snapshot | None:
        """The snapshot of the latest plan (what statuses and explanations are about)."""
        planned = self.read.planned()
        return None if planned is None else planned[0]

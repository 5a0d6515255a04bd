"""The agent's memory of instructions: results by id, which are unreported, what was running.

It is what makes delivery safe. A repeated instruction id is answered from here instead of
running helm again; results the controller has not confirmed (ResultReceived) are sent again
after every reconnect; and work that was running when naisd died is found on the next start.
With a path it is a small JSON file written atomically on every change (a restarted agent
remembers); without one it lives in memory (in-process fake agents).
"""

from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path

from naisd.errors import NaisdError
from naisd.work import Action, Work, WorkResult

__all__ = ["DEFAULT_CAPACITY", "ResultStore", "StateFileInvalid"]

logger = logging.getLogger(__name__)

DEFAULT_CAPACITY = 256
_FORMAT = 1


class StateFileInvalid(NaisdError, ValueError):
    """The state file cannot be read as naisd's; naisd refuses to start rather than forget."""


class ResultStore:
    """Results by instruction id, the newest `capacity` of them, plus the work in progress.

    Past `capacity`, the oldest confirmed result is forgotten first (an unconfirmed one only
    when all are unconfirmed). An id older than that would run again if it were ever resent;
    the controller resends only what is still desired, so that is a deploy of the same release.
    """

    def __init__(self, path: Path | None = None, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.path = path
        self._capacity = capacity
        self._results: OrderedDict[str, WorkResult] = OrderedDict()
        self._unreported: set[str] = set()
        self._started: dict[str, Work] = {}
        if path is not None and path.exists():
            self._load(path)

    def get(self, instruction_id: str) -> WorkResult | None:
        return self._results.get(instruction_id)

    def unreported(self) -> list[WorkResult]:
        """Results the controller has not confirmed, oldest first."""
        return [r for i, r in self._results.items() if i in self._unreported]

    def interrupted(self) -> list[Work]:
        """Work that had started but has no result: naisd stopped (or died) while it ran."""
        return [w for i, w in self._started.items() if i not in self._results]

    def start(self, work: Work) -> None:
        """Note that `work` is about to run, before it runs."""
        self._started[work.id] = work
        self._save()

    def complete(self, result: WorkResult) -> None:
        """Keep the result of an instruction, unconfirmed until `confirm`."""
        self._results[result.instruction_id] = result
        self._results.move_to_end(result.instruction_id)
        self._unreported.add(result.instruction_id)
        self._started.pop(result.instruction_id, None)
        self._forget_oldest()
        self._save()

    def confirm(self, instruction_id: str) -> None:
        """The controller has the result: it need not be sent again."""
        if instruction_id in self._unreported:
            self._unreported.discard(instruction_id)
            self._save()

    def _forget_oldest(self) -> None:
        while len(self._results) > self._capacity:
            victim = next((i for i in self._results if i not in self._unreported), None)
            if victim is None:
                victim = next(iter(self._results))
                logger.warning(
                    "forgetting an unconfirmed result: the store is full of them",
                    extra={"instruction_id": victim},
                )
                self._unreported.discard(victim)
            del self._results[victim]

    # -- the file -------------------------------------------------------------------------------

    def _save(self) -> None:
        if self.path is None:
            return
        document = {
            "format": _FORMAT,
            "results": [
                {**r.to_json(), "reported": i not in self._unreported}
                for i, r in self._results.items()
            ],
            "started": [{**asdict(w), "values": {}} for w in self._started.values()],
        }
        partial = self.path.with_name(self.path.name + ".partial")
        with partial.open("w", encoding="utf-8") as handle:
            json.dump(document, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self.path)

    def _load(self, path: Path) -> None:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StateFileInvalid(f"state file {path}: cannot read it as JSON: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != _FORMAT:
            raise StateFileInvalid(
                f"state file {path}: not a naisd state file of format {_FORMAT}"
                " (move it away to start with no memory of past instructions)"
            )
        try:
            for entry in document.get("results", []):
                result = WorkResult.from_json(entry)
                self._results[result.instruction_id] = result
                if not entry.get("reported", False):
                    self._unreported.add(result.instruction_id)
            for entry in document.get("started", []):
                work = Work(**{**entry, "action": Action(entry["action"])})
                self._started[work.id] = work
        except (KeyError, TypeError, ValueError) as exc:
            raise StateFileInvalid(f"state file {path}: bad entry: {exc!r}") from exc
        self._forget_oldest()

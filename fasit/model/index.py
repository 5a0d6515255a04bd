"""The optional index file `.fasit.yaml`: which files of the state root hold state documents,
and the repository's settings that are reviewed like state (the prune budget)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from fasit.model._base import StateModel
from fasit.model.duration import DURATION_PATTERN, duration_seconds

__all__ = ["DEFAULT_EXCLUDE", "DEFAULT_INCLUDE", "INDEX_FILE", "IndexFile", "PruneSettings"]

INDEX_FILE = ".fasit.yaml"
DEFAULT_INCLUDE = ("**/*.yaml", "**/*.yml")
# In-repo charts hold Helm templates, which are not state documents.
DEFAULT_EXCLUDE = ("charts/**",)


_WINDOW_LIMITS = (60, 7 * 24 * 3600)


class PruneSettings(StateModel):
    """How many uninstalls the whole fleet may see in a rolling window (the prune budget).

    Set in the state repository, so raising it is a reviewed change, never a run-time flag.
    """

    budget_percent: float = Field(
        default=10,
        gt=0,
        le=100,
        description="Uninstalls allowed per window, as a share of the releases fasit manages"
        " across the fleet; at least 1 is always allowed.",
    )
    window: str = Field(
        default="1h",
        pattern=DURATION_PATTERN,
        min_length=2,
        description="The rolling window the budget counts over; Go-style duration, 1m to 168h.",
    )

    @field_validator("window")
    @classmethod
    def _window_in_range(cls, window: str) -> str:
        seconds = duration_seconds(window)
        low, high = _WINDOW_LIMITS
        if not low <= seconds <= high:
            raise ValueError(f"window {window!r} must be between 1m and 168h")
        return window

    @property
    def window_seconds(self) -> int:
        return duration_seconds(self.window)


class IndexFile(StateModel):
    """Include / exclude globs relative to the state root; `*` stays in a directory, `**` spans."""

    api_version: Literal["fasit/v1"] = Field(
        default="fasit/v1", description="The version of the format: always fasit/v1."
    )
    kind: Literal["Index"] = Field(default="Index", description="Always Index.")
    include: list[str] = Field(
        default_factory=lambda: list(DEFAULT_INCLUDE),
        min_length=1,
        description="Globs of the files that hold state documents.",
    )
    exclude: list[str] = Field(
        default_factory=lambda: list(DEFAULT_EXCLUDE),
        description="Globs of files left out even when included (in-repo chart templates).",
    )
    prune: PruneSettings = Field(
        default_factory=PruneSettings,
        description="The prune budget: how many uninstalls the fleet may see per window.",
    )

"""The optional index file `.fasit.yaml`: which files of the state root hold state documents."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fasit.model._base import StateModel

__all__ = ["DEFAULT_EXCLUDE", "DEFAULT_INCLUDE", "INDEX_FILE", "IndexFile"]

INDEX_FILE = ".fasit.yaml"
DEFAULT_INCLUDE = ("**/*.yaml", "**/*.yml")
# In-repo charts hold Helm templates, which are not state documents.
DEFAULT_EXCLUDE = ("charts/**",)


class IndexFile(StateModel):
    """Include / exclude globs relative to the state root; `*` stays in a directory, `**` spans."""

    api_version: Literal["fasit/v1"] = "fasit/v1"
    kind: Literal["Index"] = "Index"
    include: list[str] = Field(default_factory=lambda: list(DEFAULT_INCLUDE), min_length=1)
    exclude: list[str] = Field(default_factory=lambda: list(DEFAULT_EXCLUDE))

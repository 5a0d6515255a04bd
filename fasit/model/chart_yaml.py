"""The part of Helm's Chart.yaml that fasit reads; every other field is Helm's business."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from fasit.model._base import StateModel

__all__ = ["ChartYaml"]


class ChartYaml(StateModel):
    """name, version, description and sources of a chart; other Chart.yaml fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""
    sources: list[str] = Field(default_factory=list)

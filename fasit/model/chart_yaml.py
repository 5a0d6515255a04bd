"""The part of Helm's Chart.yaml that fasit reads; every other field is Helm's business."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from fasit.model._base import StateModel

__all__ = ["ChartYaml"]


class ChartYaml(StateModel):
    """name, version, description and sources of a chart; other Chart.yaml fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, description="The chart's name.")
    version: str = Field(
        min_length=1, description="The chart's version: the in-repo directory name, or the tag."
    )
    description: str = Field(default="", description="For people; read, not used by fasit yet.")
    sources: list[str] = Field(
        default_factory=list, description="URLs of the chart's source; read, not used by fasit yet."
    )

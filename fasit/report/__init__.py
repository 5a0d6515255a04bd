"""Reports: what `fasit validate`, `fasit plan` and `fasit explain` print, for people and tools.

The last stage of the one-shot commands: it reads a build's problems, plans and explanations
and renders them as text, JSON, Markdown or GitHub annotations, masking secrets. It decides
nothing and writes nothing; only the CLI imports it.
"""

from fasit.report.explain import render_explanation
from fasit.report.plan import PlanFormat, PlanReport, render_plan
from fasit.report.problems import (
    Format,
    Summary,
    render,
    render_github,
    render_json,
    render_text,
)

__all__ = [
    "Format",
    "PlanFormat",
    "PlanReport",
    "Summary",
    "render",
    "render_explanation",
    "render_github",
    "render_json",
    "render_plan",
    "render_text",
]

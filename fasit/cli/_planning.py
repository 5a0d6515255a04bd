"""What the commands that plan build from their options: the template values (`serve` too), a
planner with them and the secrets, and the counts under a problem list.

Imported when one of those commands runs, not while the parser is built.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from fasit.errors import CouldNotRun
from fasit.plan import (
    Planner,
    SecretsDirectory,
    ServerValues,
    TemplateValueError,
    Validation,
    parse_template_value,
)
from fasit.report import Summary
from fasit.state import Problem, read_yaml

__all__ = ["planner_for", "server_values_for", "summarize"]


def summarize(result: Validation, problems: Sequence[Problem]) -> Summary:
    """The counts under a problem list: files, documents, and each kind."""
    state = result.snapshot.load.state
    return Summary.of(
        problems,
        files=result.snapshot.load.files,
        documents=result.snapshot.load.documents,
        environments=len(state.environments),
        features=len(state.features),
        assignments=len(state.assignments),
        configs=len(state.configs),
    )


def server_values_for(args: argparse.Namespace) -> ServerValues | None:
    """The template values the command line gives, or None (placeholders)."""
    given: dict[str, str] = {}
    file: Path | None = getattr(args, "template_values", None)
    try:
        if file is not None:
            given.update(_template_values_file(file))
        given.update(parse_template_value(text) for text in getattr(args, "template_value", []))
        return ServerValues(given) if file is not None or given else None
    except TemplateValueError as exc:
        raise CouldNotRun(f"--template-value: {exc}") from None


def _template_values_file(file: Path) -> dict[str, str]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CouldNotRun(f"--template-values {file}: {exc.strerror or exc}") from None
    read = read_yaml(text, str(file))
    if read.problems:
        problem = read.problems[0]
        raise CouldNotRun(f"{file}:{problem.line or 1}:{problem.column or 1}: {problem.message}")
    data = read.documents[0].data if read.documents else {}
    if not isinstance(data, dict):
        raise CouldNotRun(f"--template-values {file}: expected a mapping of KEY: value")
    for key, value in data.items():
        try:
            ServerValues({key: value})
        except TemplateValueError as exc:
            position = read.documents[0].locate([key], at_key=True)
            raise CouldNotRun(f"{file}:{position.line}:{position.column}: {exc}") from None
    return data


def planner_for(args: argparse.Namespace) -> Planner:
    """A planner with the secrets and template values the command line names, or
    placeholders."""
    directory: Path | None = getattr(args, "secrets_dir", None)
    return Planner(
        SecretsDirectory(directory) if directory is not None else None,
        server_values=server_values_for(args),
    )

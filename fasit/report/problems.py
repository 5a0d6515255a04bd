"""Problem reports for people and tools: text, JSON and GitHub workflow annotations.

One problem list, three small renderers; `fasit validate` picks one by `--format`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

from fasit.options import Format
from fasit.state import Problem, Severity

__all__ = ["Format", "Summary", "render", "render_github", "render_json", "render_text"]


@dataclass(frozen=True, slots=True)
class Summary:
    """What a run read and what it found."""

    files: int
    documents: int
    environments: int
    features: int
    assignments: int
    configs: int
    errors: int
    warnings: int
    notices: int

    @classmethod
    def of(cls, problems: Sequence[Problem], **counts: int) -> Summary:
        """Counts of what was read plus the problems by severity."""
        by_severity = dict.fromkeys(Severity, 0)
        for problem in problems:
            by_severity[problem.severity] += 1
        return cls(
            errors=by_severity[Severity.ERROR],
            warnings=by_severity[Severity.WARNING],
            notices=by_severity[Severity.NOTICE],
            **counts,
        )

    @property
    def line(self) -> str:
        """One line for people: what was read, then what was found."""
        return (
            f"{_count(self.files, 'file')}, {_count(self.documents, 'document')}"
            f" ({_count(self.environments, 'environment')}, {_count(self.features, 'feature')},"
            f" {_count(self.assignments, 'assignment')}, {_count(self.configs, 'config')}):"
            f" {_count(self.errors, 'error')}, {_count(self.warnings, 'warning')},"
            f" {_count(self.notices, 'notice')}"
        )


def render_text(problems: Sequence[Problem], summary: Summary, path: Callable[[str], str]) -> str:
    """`file:line:col: severity code: message`, grouped by file, then the summary line."""
    blocks = []
    for _, group in groupby(sorted(problems, key=lambda p: p.sort_key), key=lambda p: p.file):
        blocks.append("\n".join(_text_line(problem, path) for problem in group))
    return "\n\n".join([*blocks, summary.line]) + "\n"


def _text_line(problem: Problem, path: Callable[[str], str]) -> str:
    where = path(problem.file) + problem.where.removeprefix(problem.file)
    return f"{where}: {problem.severity} {problem.code}: {problem.message}"


def render_json(problems: Sequence[Problem], summary: Summary, path: Callable[[str], str]) -> str:
    """`{"problems": [...], "summary": {...}}`; files relative to the state root."""
    del path  # JSON keeps state-root-relative paths: stable for tools
    document = {
        "problems": [
            {
                "file": problem.file,
                "line": problem.line,
                "column": problem.column,
                "code": str(problem.code),
                "message": problem.message,
                "severity": str(problem.severity),
            }
            for problem in sorted(problems, key=lambda p: p.sort_key)
        ],
        "summary": {
            "files": summary.files,
            "documents": summary.documents,
            "environments": summary.environments,
            "features": summary.features,
            "assignments": summary.assignments,
            "configs": summary.configs,
            "errors": summary.errors,
            "warnings": summary.warnings,
            "notices": summary.notices,
        },
    }
    return json.dumps(document, indent=2) + "\n"


def render_github(problems: Sequence[Problem], summary: Summary, path: Callable[[str], str]) -> str:
    """GitHub workflow commands (`::error file=…,line=…,col=…::message`), then the summary."""
    lines = []
    for problem in sorted(problems, key=lambda p: p.sort_key):
        properties = []
        if problem.file:
            properties.append(f"file={_escape_property(path(problem.file))}")
        if problem.line is not None:
            properties.append(f"line={problem.line}")
            properties.append(f"col={problem.column}")
        properties.append(f"title={_escape_property(str(problem.code))}")
        command = "error" if problem.severity is Severity.ERROR else str(problem.severity)
        lines.append(f"::{command} {','.join(properties)}::{_escape_data(problem.message)}")
    lines.append(summary.line)
    return "\n".join(lines) + "\n"


Renderer = Callable[[Sequence[Problem], Summary, Callable[[str], str]], str]
_RENDERERS: dict[Format, Renderer] = {
    Format.TEXT: render_text,
    Format.JSON: render_json,
    Format.GITHUB: render_github,
}


def render(
    format: Format, problems: Sequence[Problem], summary: Summary, path: Callable[[str], str]
) -> str:
    """Render with the renderer of `format`; `path` maps a state-root-relative file for display."""
    return _RENDERERS[format](problems, summary, path)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# GitHub's workflow-command escaping: data escapes %, CR and LF; properties also : and ,.
def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")

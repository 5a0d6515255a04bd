"""The layering of DESIGN.md §7 as data, and the checker that holds a source tree to it.

Every module under the checked packages is placed in exactly one unit (a sub-package or a
top-level module of `fasit`, or a whole package such as `naisd`); every import of a checked
package, wherever it sits (inside a function, under `if TYPE_CHECKING:`, in a try/except,
relative or absolute), must land in the module's own unit or in one the table allows.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ALLOWED", "CHECKED", "BackEdge", "Layering", "check_layering"]

CHECKED = ("fasit", "naisd", "fasit_proto")

_MODEL = {"fasit", "fasit.backoff", "fasit.errors", "fasit.model", "fasit.options"}
_STATE = _MODEL | {"fasit.state"}
_CHARTS = _STATE | {"fasit.sources", "fasit.charts"}
_PLAN = _CHARTS | {"fasit.plan"}
# What each unit may import of the checked packages: only units before it in the flow of data.
# `fasit` is the package root (`__version__`); every unit of fasit may read it.
ALLOWED: dict[str, frozenset[str]] = {
    # The generated protocol imports neither end of the wire.
    "fasit_proto": frozenset(),
    # The agent ships alone into each environment: nothing of the controller.
    "naisd": frozenset({"fasit_proto"}),
    "fasit": frozenset(),
    "fasit.errors": frozenset({"fasit"}),
    # One retry policy for every stage that retries (pure: no clock, no sleep).
    "fasit.backoff": frozenset({"fasit"}),
    # Flag defaults and output formats, shared by the CLI's parser and the stages.
    "fasit.options": frozenset({"fasit"}),
    # The one memory policy (the only module touching `gc`): only the wiring may call it.
    "fasit.memory": frozenset({"fasit"}),
    "fasit.model": frozenset({"fasit"}),
    "fasit.state": frozenset(_STATE),
    "fasit.sources": frozenset(_STATE),
    "fasit.charts": frozenset(_CHARTS),
    "fasit.plan": frozenset(_PLAN),
    # What the one-shot commands print: problems, plans and explanations, rendered.
    "fasit.report": frozenset(_PLAN),
    # `fasit migrate`: nais/fasit's files read as text and written in fasit's formats; each
    # translated template is checked with plan's own renderer.
    "fasit.migrate": frozenset(_PLAN - {"fasit.sources", "fasit.charts"}),
    # The wire carries plain data: the hub knows environments and releases, never plans.
    "fasit.agents": frozenset(_MODEL | {"fasit_proto"}),
    # Decides over plans and drives agents; the read side (later) reads it, never the reverse.
    "fasit.reconcile": frozenset((_PLAN - {"fasit.sources"}) | {"fasit.agents"}),
    # The read side: reads the stages, never writes desired state.
    "fasit.web": frozenset((_PLAN - {"fasit.sources"}) | {"fasit.agents", "fasit.reconcile"}),
    # Commit statuses: reads the read side's progress, posts to GitHub; nothing imports it
    # but the wiring.
    "fasit.github": frozenset((_PLAN - {"fasit.sources"}) | {"fasit.reconcile", "fasit.web"}),
    # An edge stage: events derived from the reconciler and the snapshot store, sent out.
    "fasit.notify": frozenset(_PLAN | {"fasit.agents", "fasit.reconcile"}),
    # The wiring of `fasit serve`: every stage (and naisd, for the in-process fake agents).
    "fasit.serve": frozenset(
        _PLAN
        | {"fasit.agents", "fasit.reconcile", "fasit.web", "fasit.github", "fasit.notify", "naisd"}
        | {"fasit.memory"}
    ),
    # The command line: every stage and every report; only `python -m fasit` imports it.
    "fasit.cli": frozenset(
        _PLAN
        | {"fasit.agents", "fasit.reconcile", "fasit.web", "fasit.serve"}
        | {"fasit.github", "fasit.notify", "fasit.migrate"}
        | {"fasit.report", "fasit.memory"}
    ),
    "fasit.__main__": frozenset({"fasit", "fasit.cli"}),
}


@dataclass(frozen=True, order=True)
class BackEdge:
    """An import the table does not allow: `path:line` imports `module`."""

    path: str
    line: int
    module: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.module}"


@dataclass(frozen=True)
class Layering:
    """What the checker found: imports against the flow, and modules placed in no unit."""

    back_edges: list[BackEdge]
    unplaced: list[str]


def check_layering(root: Path) -> Layering:
    """Check every module of the `CHECKED` packages under `root` against `ALLOWED`."""
    back_edges: list[BackEdge] = []
    unplaced: set[str] = set()
    for package in CHECKED:
        # Stubs (.pyi) too: the generated protocol's are read by mypy like its modules.
        paths = (p for p in root.joinpath(package).rglob("*.py*") if p.suffix in {".py", ".pyi"})
        for path in sorted(paths):
            module = _module_name(root, path)
            unit = _unit(module)
            if unit not in ALLOWED:
                unplaced.add(unit)
                continue
            for line, imported in _imports(root, path, module):
                target = _unit(imported)
                if target == unit or target.split(".")[0] not in CHECKED:
                    continue
                if target not in ALLOWED[unit]:
                    relative = path.relative_to(root).as_posix()
                    back_edges.append(BackEdge(relative, line, imported))
    return Layering(sorted(back_edges), sorted(unplaced))


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module: str) -> str:
    # A package with units of its own (fasit) is split at its children; the others are one unit.
    parts = module.split(".")
    layered = any(key.startswith(parts[0] + ".") for key in ALLOWED)
    return ".".join(parts[:2]) if layered else parts[0]


def _is_module(root: Path, name: str) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or path.joinpath("__init__.py").is_file()


def _imports(root: Path, path: Path, module: str) -> list[tuple[int, str]]:
    """Every module `path` imports, resolved: relative ones and `from pkg import submodule`."""
    package = module if path.stem == "__init__" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((node.lineno, submodule if _is_module(root, submodule) else base))
    return found

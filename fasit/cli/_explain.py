"""`fasit explain`: why an environment gets this version of a feature, and each value."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fasit.cli._charts import add_chart_options, oci_fetcher
from fasit.cli._common import EXIT_CLEAN, add_planning_options
from fasit.errors import CouldNotRun
from fasit.memory import one_shot

__all__ = ["add_explain"]


def add_explain(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "explain",
        help="why an environment gets a feature's version, and where each value comes from",
        description="Show every assignment of FEATURE, whether it matches ENVIRONMENT and why"
        " not, which one wins and by which rule; then every value with its (masked) value and"
        " the file and line it comes from.",
    )
    parser.add_argument("environment", metavar="ENVIRONMENT", help="tenant/name")
    parser.add_argument("feature", metavar="FEATURE")
    parser.add_argument("path", nargs="?", default=".", help="the state root (default: .)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    add_planning_options(parser)
    add_chart_options(parser)
    parser.set_defaults(command=_explain)


def _explain(args: argparse.Namespace) -> int:
    # The stages load when explain runs, not when the parser is built.
    from fasit.cli._planning import planner_for
    from fasit.plan import explain, validate_tree
    from fasit.report import render_explanation
    from fasit.state import DirectoryTree

    with one_shot(), oci_fetcher(args) as fetch:
        result = validate_tree(DirectoryTree(Path(args.path)), None, None, planner_for(args), fetch)
    index = result.snapshot.index
    try:
        explanation = explain(result.snapshot, result.plan, args.environment, args.feature)
    except KeyError as exc:
        known = index.environments if "environment" in str(exc) else index.features
        raise CouldNotRun(f"{exc.args[0]} (known: {', '.join(sorted(known)) or 'none'})") from None
    sys.stdout.write(render_explanation(explanation, args.format == "json"))
    return EXIT_CLEAN

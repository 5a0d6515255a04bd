"""`fasit plan`: the desired state of a revision, or what changes between two."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fasit.cli._charts import add_chart_options, oci_fetcher
from fasit.cli._common import (
    EXIT_CHANGES,
    EXIT_CLEAN,
    EXIT_COULD_NOT_RUN,
    add_planning_options,
    positive_int,
)
from fasit.memory import one_shot
from fasit.options import MAX_FILES, Format, PlanFormat

if TYPE_CHECKING:
    from fasit.plan import FetchOci, Planner, Validation
    from fasit.state import LoadLimits

__all__ = ["add_plan", "read_side"]


def add_plan(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = commands.add_parser(
        "plan",
        help="the desired releases, or what a change installs, upgrades and uninstalls",
        description="Plan every (environment, feature) of a state repository. With --base,"
        " print what changes per environment between two revisions instead. REV is a git"
        " revision of the repository holding PATH (read without a checkout; branch, tag,"
        " SHA, HEAD~1) or a directory. Per-release problems are statuses and the plan"
        " succeeds; blocking problems are printed and the exit status is 2.",
    )
    plan.add_argument("path", nargs="?", default=".", help="the state root (default: .)")
    plan.add_argument("--base", metavar="REV", help="compare against this revision")
    plan.add_argument(
        "--head", metavar="REV", help="plan this revision (default: the files at PATH)"
    )
    plan.add_argument(
        "--format",
        type=PlanFormat,
        choices=list(PlanFormat),
        default=PlanFormat.TEXT,
        help="text (default), json, or markdown (for $GITHUB_STEP_SUMMARY)",
    )
    plan.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 0 when nothing changes, 1 when anything does",
    )
    plan.add_argument(
        "--max-files",
        type=positive_int,
        default=MAX_FILES,
        help="refuse trees with more files than this (default: %(default)s)",
    )
    add_planning_options(plan)
    add_chart_options(plan)
    plan.set_defaults(command=_plan)


def _plan(args: argparse.Namespace) -> int:
    # The stages load when plan runs, not when the parser is built.
    from fasit.cli._planning import planner_for
    from fasit.plan import Planner, diff_plans
    from fasit.report import PlanReport, render_plan
    from fasit.state import LoadLimits

    path = Path(args.path)
    limits = LoadLimits(max_files=args.max_files)
    planner = planner_for(args)
    with (
        one_shot(),
        oci_fetcher(args) as fetch,
        read_side(path, args.head, limits, planner, fetch) as head,
    ):
        if _blocked("head", head):
            return EXIT_COULD_NOT_RUN
        if args.base is None:
            report = PlanReport(head.plan, None, (), _name(args.head, path), None)
        else:
            base_planner = Planner(planner.secrets)
            with read_side(path, args.base, limits, base_planner, fetch) as base:
                if _blocked("base", base):
                    return EXIT_COULD_NOT_RUN
                changes = diff_plans(base.plan, head.plan)
                report = PlanReport(
                    head.plan, base.plan, changes, _name(args.head, path), args.base
                )
    sys.stdout.write(render_plan(report, args.format))
    return EXIT_CHANGES if args.exit_code and report.changes else EXIT_CLEAN


@contextmanager
def read_side(
    path: Path, rev: str | None, limits: LoadLimits, planner: Planner, fetch_oci: FetchOci | None
) -> Iterator[Validation]:
    """Build and plan the files at `path`, a directory `rev`, or git revision `rev` of `path`."""
    from fasit.plan import validate_tree
    from fasit.state import DirectoryTree

    if rev is None:
        yield validate_tree(DirectoryTree(path), limits, None, planner, fetch_oci)
    elif Path(rev).is_dir():
        yield validate_tree(DirectoryTree(rev), limits, None, planner, fetch_oci)
    else:
        from fasit.sources import local_revision

        with local_revision(path, rev) as (tree, revision):
            yield validate_tree(tree, limits, revision, planner, fetch_oci)


def _blocked(side: str, result: Validation) -> bool:
    from fasit.cli._planning import summarize
    from fasit.report import render

    blocking = result.snapshot.blocking
    if not blocking:
        return False
    print(f"fasit: the {side} revision has blocking problems; nothing is planned:", file=sys.stderr)
    sys.stderr.write(render(Format.TEXT, blocking, summarize(result, blocking), lambda file: file))
    return True


def _name(rev: str | None, path: Path) -> str:
    return rev if rev is not None else str(path)

"""The `fasit` command line: validate, plan, explain, schema, serve, agent-token, api-token,
wait and migrate.

Exit codes: 0 clean, 1 problems (or, for `plan --exit-code`, changes), 2 could not run.
Results go to stdout, logs to stderr.

The parser (every command's flags, `--help`) is built without importing a stage: each command
module declares its flags from the standard library, `fasit.options` and `_common.py`, and
imports its stages inside the function that runs it. `fasit validate` pays for the build it
runs, not for the server (tests/cli/test_imports.py holds that).
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable, Sequence

from fasit import __version__
from fasit.cli._agent_token import add_agent_token
from fasit.cli._api_token import add_api_token
from fasit.cli._common import EXIT_COULD_NOT_RUN
from fasit.cli._explain import add_explain
from fasit.cli._migrate import add_migrate
from fasit.cli._plan import add_plan
from fasit.cli._schema import add_schema
from fasit.cli._serve import add_serve
from fasit.cli._validate import add_validate
from fasit.cli._wait import add_wait
from fasit.errors import CouldNotRun, RetryableError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:  # its own retries are noise: a failure is reported once, by fasit
        logging.getLogger("urllib3").setLevel(logging.ERROR)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except (CouldNotRun, RetryableError) as exc:
        # A one-shot command does not retry: a remote that does not answer now means it could
        # not run, not that the state has problems.
        print(f"fasit: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    except Exception as exc:
        # Exit 1 means "your state has problems"; a bug of ours must not read as that in CI.
        traceback.print_exc(file=sys.stderr)
        print(
            "fasit: internal error (a bug in fasit, not in your state): "
            f"{type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return EXIT_COULD_NOT_RUN


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fasit",
        description="GitOps for Helm-chart features across fleets of Kubernetes environments.",
    )
    parser.add_argument("--version", action="version", version=f"fasit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs on stderr")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    add_validate(commands)
    add_plan(commands)
    add_explain(commands)
    add_schema(commands)
    add_serve(commands)
    add_agent_token(commands)
    add_api_token(commands)
    add_wait(commands)
    add_migrate(commands)
    return parser

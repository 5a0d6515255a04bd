"""`fasit agent-token`: a new token for an agent, its hash put in the controller's token file.

The file holds the SHA-256 of the token *stripped*, which `sha256sum` of a token file does not
give (the newline counts); this command computes it with the hub's own `hash_token`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from fasit.agents import set_token
from fasit.cli._common import EXIT_CLEAN
from fasit.errors import CouldNotRun

__all__ = ["add_agent_token"]

_SERVE_VARIABLE = "FASIT_AGENT_TOKENS"
"""`fasit serve --agent-tokens` has no default path; this variable is its default."""


def add_agent_token(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "agent-token",
        help="make a new agent token and put its hash in the controller's token file",
        description="Print a new random token for the naisd of ENVIRONMENT on stdout and set its"
        " hash as that environment's line in the token file (replacing an older token; other"
        " lines and comments stay). The hub picks the change up without a restart.",
    )
    parser.add_argument("environment", metavar="TENANT/NAME")
    parser.add_argument(
        "--tokens",
        type=Path,
        default=os.environ.get(_SERVE_VARIABLE) or None,
        metavar="FILE",
        help=f"the token file `fasit serve --agent-tokens` reads (default: ${_SERVE_VARIABLE})",
    )
    parser.set_defaults(command=_agent_token)


def _agent_token(args: argparse.Namespace) -> int:
    if args.tokens is None:
        raise CouldNotRun(
            f"agent-token: which token file? Pass --tokens FILE or set {_SERVE_VARIABLE}"
        )
    token = secrets.token_urlsafe(32)
    set_token(Path(args.tokens), args.environment, token)
    sys.stdout.write(token + "\n")
    return EXIT_CLEAN

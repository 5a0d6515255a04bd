"""`fasit agent-token`: a new token for an agent, its hash put in the controller's token file.

The file holds the SHA-256 of the token *stripped*, which `sha256sum` of a token file does not
give (the newline counts); this command computes it with the hub's own `hash_token`.
"""

from __future__ import annotations

import argparse
import secrets
import sys

from fasit.cli._common import EXIT_CLEAN, add_token_file_option, token_file

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
    add_token_file_option(parser, "--agent-tokens", _SERVE_VARIABLE)
    parser.set_defaults(command=_agent_token)


def _agent_token(args: argparse.Namespace) -> int:
    from fasit.agents import set_token

    tokens = token_file(args, "agent-token", _SERVE_VARIABLE)
    token = secrets.token_urlsafe(32)
    set_token(tokens, args.environment, token)
    sys.stdout.write(token + "\n")
    return EXIT_CLEAN

"""`fasit api-token`: a new API token for scripts (and `fasit wait --token-file`), its hash and
tenants put in the API token file `fasit serve --api-tokens` reads.

The same as `fasit agent-token`, for the web side: the token is printed once and never
stored; the file keeps its SHA-256, as `hash_token` makes it.
"""

from __future__ import annotations

import argparse
import secrets
import sys

from fasit.cli._common import EXIT_CLEAN, add_token_file_option, token_file
from fasit.errors import CouldNotRun

__all__ = ["add_api_token"]

_SERVE_VARIABLE = "FASIT_API_TOKENS"
"""`fasit serve --api-tokens` has no default path; this variable is its default."""


def add_api_token(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "api-token",
        help="make a new API token and put its hash in the server's API token file",
        description="Print a new random token named NAME on stdout and set its hash, with the"
        " tenants it may see, as NAME's line in the API token file (replacing an older token;"
        " other lines and comments stay). The server picks the change up without a restart.",
    )
    parser.add_argument("name", metavar="NAME")
    parser.add_argument(
        "--tenants",
        required=True,
        metavar="TENANT,…",
        help='the tenants it sees, comma-separated (nav,acme), or "*" for every tenant',
    )
    add_token_file_option(parser, "--api-tokens", _SERVE_VARIABLE)
    parser.set_defaults(command=_api_token)


def _api_token(args: argparse.Namespace) -> int:
    from fasit.web import parse_tenants, set_api_token

    tokens = token_file(args, "api-token", _SERVE_VARIABLE)
    listed = [text.strip() for text in args.tenants.split(",") if text.strip()]
    try:
        tenants = parse_tenants(listed)
    except ValueError as exc:
        raise CouldNotRun(f"api-token: --tenants: {exc}") from None
    token = secrets.token_urlsafe(32)
    set_api_token(tokens, args.name, tenants, token)
    sys.stdout.write(token + "\n")
    return EXIT_CLEAN

"""`fasit validate`: the same build as the server, every problem at once."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fasit.cli._charts import add_chart_options, oci_fetcher
from fasit.cli._common import (
    EXIT_CLEAN,
    EXIT_PROBLEMS,
    cwd_path,
    github_path,
    positive_int,
    repository_path,
    seconds,
)
from fasit.errors import CouldNotRun
from fasit.memory import one_shot
from fasit.options import DEFAULT_GIT_TIMEOUT, MAX_FILES, Format

if TYPE_CHECKING:
    from fasit.plan import FetchOci, Validation
    from fasit.state import LoadLimits

__all__ = ["add_validate"]

logger = logging.getLogger("fasit.cli")


def add_validate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = commands.add_parser(
        "validate",
        help="check a state repository: every problem at once",
        description="Check a state repository and report every problem at once. Exit 0: clean"
        " (warnings and notices allowed), 1: problems, 2: could not run.",
    )
    validate.add_argument("path", nargs="?", help="the state root (default: .)")
    validate.add_argument(
        "--format",
        type=Format,
        choices=list(Format),
        default=Format.TEXT,
        help="text (default), json, or github (workflow annotations)",
    )
    validate.add_argument("--strict", action="store_true", help="warnings fail too")
    validate.add_argument(
        "--max-files",
        type=positive_int,
        default=MAX_FILES,
        help="refuse trees with more files than this (default: %(default)s)",
    )
    remote = validate.add_argument_group(
        "a remote revision",
        "Validate a revision of a git repository without a checkout. Credentials come from"
        " the environment: FASIT_GIT_USERNAME and FASIT_GIT_PASSWORD (HTTP basic; a token"
        " your host takes as a password goes in FASIT_GIT_PASSWORD) or FASIT_GIT_TOKEN (sent"
        " as a bearer token).",
    )
    remote.add_argument("--git", metavar="URL", help="the repository (https, http, ssh, git)")
    remote.add_argument("--ref", default="HEAD", help="branch, tag or commit SHA (default: HEAD)")
    remote.add_argument("--directory", default="", help="the state root inside the repository")
    remote.add_argument("--ssh-key", type=Path, help="private key for ssh:// URLs")
    remote.add_argument("--known-hosts", type=Path, help="known_hosts file to trust (ssh)")
    remote.add_argument("--ca-bundle", type=Path, help="PEM file of CAs to trust (https)")
    remote.add_argument(
        "--git-timeout",
        metavar="SECONDS",
        type=seconds,
        default=DEFAULT_GIT_TIMEOUT,
        help="give up on one git network operation after this long (default: %(default)g)",
    )
    remote.add_argument(
        "--insecure-skip-tls-verify", action="store_true", help="accept any certificate (https)"
    )
    add_chart_options(validate)
    validate.set_defaults(command=_validate)


def _validate(args: argparse.Namespace) -> int:
    # The stages load when validate runs, not when the parser is built; the git source only
    # with --git (in _validate_git).
    from fasit.plan import validate_tree
    from fasit.state import DirectoryTree, LoadLimits

    limits = LoadLimits(max_files=args.max_files)
    if args.git and args.path is not None:
        raise CouldNotRun("give either a PATH or --git URL, not both")
    with one_shot(), oci_fetcher(args) as fetch:
        if args.git:
            result = _validate_git(args, limits, fetch)
            display = repository_path(args.directory)
        else:
            tree = DirectoryTree(args.path or ".")
            result = validate_tree(tree, limits, None, None, fetch)
            display = (
                github_path(tree.root)
                if args.format is Format.GITHUB
                else cwd_path(args.path or ".")
            )
    return _report(args, result, display)


def _validate_git(
    args: argparse.Namespace, limits: LoadLimits, fetch_oci: FetchOci | None
) -> Validation:
    from fasit.plan import validate_tree
    from fasit.sources import GitAuth, GitLocation, GitRemote, read_commit

    location = GitLocation(args.git, args.ref, args.directory)
    auth = GitAuth(
        username=os.environ.get("FASIT_GIT_USERNAME", ""),
        password=os.environ.get("FASIT_GIT_PASSWORD", ""),
        bearer_token=os.environ.get("FASIT_GIT_TOKEN", ""),
        ssh_key_file=args.ssh_key,
        known_hosts_file=args.known_hosts,
        ca_bundle=args.ca_bundle,
        insecure_skip_tls_verify=args.insecure_skip_tls_verify,
    )
    with tempfile.TemporaryDirectory(prefix="fasit-validate-") as cache:
        remote = GitRemote(location, Path(cache) / "cache.git", auth, args.git_timeout)
        try:
            commit = remote.fetch(remote.resolve())
            tree, revision = read_commit(remote, commit)
            if tree.missing:
                raise CouldNotRun(f"{location.shown_url}: {tree.missing}")
            logger.info("validating %s at %s", location.description, commit)
            return validate_tree(tree, limits, revision, None, fetch_oci)
        finally:
            remote.close()


def _report(args: argparse.Namespace, result: Validation, display: Callable[[str], str]) -> int:
    from fasit.cli._planning import summarize
    from fasit.report import render
    from fasit.state import Severity

    summary = summarize(result, result.problems)
    sys.stdout.write(render(args.format, result.problems, summary, display))
    failing = {Severity.ERROR, Severity.WARNING} if args.strict else {Severity.ERROR}
    failed = any(problem.severity in failing for problem in result.problems)
    return EXIT_PROBLEMS if failed else EXIT_CLEAN

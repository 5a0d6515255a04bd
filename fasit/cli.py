"""The `fasit` command line: `fasit validate` and `fasit schema` (more arrive with their issues).

Exit codes: 0 clean, 1 problems, 2 could not run. Results go to stdout, logs to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from fasit import __version__
from fasit.errors import CouldNotRun
from fasit.model import SCHEMA_MODELS, render_schema
from fasit.report import Format, Summary, render
from fasit.sources import GitAuth, GitLocation, GitRemote, read_commit
from fasit.state import DirectoryTree, LoadLimits, Severity
from fasit.validation import Validation, validate_tree

__all__ = ["main"]

logger = logging.getLogger(__name__)

EXIT_CLEAN = 0
EXIT_PROBLEMS = 1
EXIT_COULD_NOT_RUN = 2


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
    except CouldNotRun as exc:
        print(f"fasit: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fasit",
        description="GitOps for Helm-chart features across fleets of Kubernetes environments.",
    )
    parser.add_argument("--version", action="version", version=f"fasit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs on stderr")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

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
        type=_positive_int,
        default=LoadLimits().max_files,
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
        "--insecure-skip-tls-verify", action="store_true", help="accept any certificate (https)"
    )
    validate.set_defaults(command=_validate)

    schema = commands.add_parser(
        "schema",
        help="write the JSON Schemas of every file format",
        description="Write schemas/<name>.json for each kind, Feature.yaml and the index file,"
        " generated from the models. With --check, write nothing and exit 1 when any is stale.",
    )
    schema.add_argument(
        "--output", type=Path, default=Path("schemas"), help="directory (default: schemas)"
    )
    schema.add_argument("--check", action="store_true", help="exit 1 when a schema is stale")
    schema.set_defaults(command=_schema)
    return parser


def _validate(args: argparse.Namespace) -> int:
    limits = LoadLimits(max_files=args.max_files)
    if args.git:
        if args.path is not None:
            raise CouldNotRun("give either a PATH or --git URL, not both")
        result = _validate_git(args, limits)
        display = _repository_path(args.directory)
    else:
        tree = DirectoryTree(args.path or ".")
        result = validate_tree(tree, limits)
        display = (
            _github_path(tree.root) if args.format is Format.GITHUB else _cwd_path(args.path or ".")
        )
    return _report(args, result, display)


def _validate_git(args: argparse.Namespace, limits: LoadLimits) -> Validation:
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
        remote = GitRemote(location, Path(cache) / "cache.git", auth)
        try:
            commit = remote.fetch(remote.resolve())
            tree, revision = read_commit(remote, commit)
            if tree.missing:
                raise CouldNotRun(f"{args.git}: {tree.missing}")
            logger.info("validating %s at %s", location.description, commit)
            return validate_tree(tree, limits, revision)
        finally:
            remote.close()


def _report(args: argparse.Namespace, result: Validation, display: Callable[[str], str]) -> int:
    state = result.snapshot.load.state
    summary = Summary.of(
        result.problems,
        files=result.snapshot.load.files,
        documents=result.snapshot.load.documents,
        environments=len(state.environments),
        features=len(state.features),
        assignments=len(state.assignments),
        configs=len(state.configs),
    )
    sys.stdout.write(render(args.format, result.problems, summary, display))
    failing = {Severity.ERROR, Severity.WARNING} if args.strict else {Severity.ERROR}
    failed = any(problem.severity in failing for problem in result.problems)
    return EXIT_PROBLEMS if failed else EXIT_CLEAN


def _schema(args: argparse.Namespace) -> int:
    output: Path = args.output
    stale = []
    for name in SCHEMA_MODELS:
        path = output / f"{name}.json"
        text = render_schema(name)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            output.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if args.check and stale:
        for path in stale:
            print(f"{path}: stale; run `fasit schema`", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_CLEAN


def _cwd_path(root: str) -> Callable[[str], str]:
    """Paths as the user typed the root, so they open from the shell they ran in."""

    def display(file: str) -> str:
        return os.path.normpath(os.path.join(root, file)) if file else os.path.normpath(root)

    return display


def _repository_path(directory: str) -> Callable[[str], str]:
    """Paths from the repository's root, the way a checkout of it would show them."""
    base = directory.strip("/")

    def display(file: str) -> str:
        return "/".join(part for part in (base, file) if part) or "."

    return display


def _github_path(root: Path) -> Callable[[str], str]:
    """Paths relative to the repository root, where GitHub anchors annotations."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    base = Path(workspace).resolve() if workspace else _repository_root(root.resolve())
    absolute_root = root.resolve()

    def display(file: str) -> str:
        return (
            os.path.relpath(absolute_root / file, base)
            if file
            else os.path.relpath(absolute_root, base)
        )

    return display


def _repository_root(start: Path) -> Path:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return Path.cwd().resolve()


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return number


if __name__ == "__main__":
    raise SystemExit(main())

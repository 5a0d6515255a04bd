"""What every command shares: exit codes, how paths are shown, argument types, option groups.

Imported while the parser is built, for every command: nothing here imports a stage at the
top (what the planning commands build from their options is `_planning.py`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from fasit.errors import CouldNotRun

__all__ = [
    "EXIT_CHANGES",
    "EXIT_CLEAN",
    "EXIT_COULD_NOT_RUN",
    "EXIT_PROBLEMS",
    "add_planning_options",
    "add_template_value_options",
    "add_token_file_option",
    "cwd_path",
    "duration",
    "github_path",
    "positive_int",
    "repository_path",
    "seconds",
    "token_file",
]

EXIT_CLEAN = 0
EXIT_PROBLEMS = 1
EXIT_CHANGES = 1
"""`fasit plan --exit-code`: the plan has changes."""
EXIT_COULD_NOT_RUN = 2


def add_token_file_option(parser: argparse.ArgumentParser, serve_flag: str, variable: str) -> None:
    """`--tokens FILE`: the token file `fasit serve SERVE_FLAG` reads (default: $VARIABLE)."""
    parser.add_argument(
        "--tokens",
        type=Path,
        default=os.environ.get(variable) or None,
        metavar="FILE",
        help=f"the token file `fasit serve {serve_flag}` reads (default: ${variable})",
    )


def token_file(args: argparse.Namespace, command: str, variable: str) -> Path:
    """The `--tokens` file given; CouldNotRun when neither it nor $VARIABLE names one."""
    if args.tokens is None:
        raise CouldNotRun(f"{command}: which token file? Pass --tokens FILE or set {variable}")
    return Path(args.tokens)


def add_planning_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """What a plan needs beyond the repository: secrets and the server's template values."""
    parser.add_argument(
        "--secrets-dir",
        type=Path,
        help="resolve {secretRef: NAME} from the file NAME in this directory (output stays"
        " masked; the release hash uses the real values). Default: placeholders",
    )
    add_template_value_options(parser)


def add_template_value_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--template-value",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a value templates read as fasit.KEY (repeatable). Default: the placeholder"
        " <fasit:KEY> for any key",
    )
    parser.add_argument(
        "--template-values",
        type=Path,
        metavar="FILE",
        help="a YAML mapping of template values (KEY: string); --template-value wins",
    )


def cwd_path(root: str) -> Callable[[str], str]:
    """Paths as the user typed the root, so they open from the shell they ran in."""

    def display(file: str) -> str:
        return os.path.normpath(os.path.join(root, file)) if file else os.path.normpath(root)

    return _outside_the_tree_as_is(display)


def repository_path(directory: str) -> Callable[[str], str]:
    """Paths from the repository's root, the way a checkout of it would show them."""
    base = directory.strip("/")

    def display(file: str) -> str:
        return "/".join(part for part in (base, file) if part) or "."

    return _outside_the_tree_as_is(display)


def github_path(root: Path) -> Callable[[str], str]:
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

    return _outside_the_tree_as_is(display)


def _outside_the_tree_as_is(display: Callable[[str], str]) -> Callable[[str], str]:
    """Files of oci:// charts (`oci://host/name:1.0.0/name/Feature.yaml`) are no paths."""

    def shown(file: str) -> str:
        return file if "://" in file else display(file)

    return shown


def _repository_root(start: Path) -> Path:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return Path.cwd().resolve()


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: give between 0 and 3600 seconds")
    return value


def duration(text: str) -> float:
    """A duration as seconds: a number of seconds (`90`), or `90s`, `30m`, `1h`, `1h30m`."""
    from fasit.model import duration_seconds  # the models load when a duration is read, not before

    shown = f"{text!r} is not a duration: give seconds (90) or 90s, 30m, 1h"
    try:
        value = float(text) if text.replace(".", "", 1).isdigit() else duration_seconds(text)
    except ValueError:
        raise argparse.ArgumentTypeError(shown) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a duration above 0")
    return float(value)


def positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return number

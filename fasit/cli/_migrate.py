"""`fasit migrate feature`: nais/fasit Feature.yaml files (Go templates) rewritten in fasit's
dialect (Jinja), on stdout or in place.

The converting is fasit.migrate's; this reads the files, writes the results and lists on stderr,
with file:line:column, what a person must finish.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fasit.cli._common import EXIT_CLEAN, EXIT_PROBLEMS
from fasit.errors import CouldNotRun

if TYPE_CHECKING:
    from fasit.migrate import Conversion

__all__ = ["add_migrate"]

FEATURE_YAML = "Feature.yaml"


def add_migrate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    migrate = commands.add_parser(
        "migrate",
        help="convert files from nais/fasit",
        description="Convert files written for nais/fasit into fasit's formats.",
    )
    kinds = migrate.add_subparsers(title="what", required=True, metavar="WHAT")
    feature = kinds.add_parser(
        "feature",
        help="a nais/fasit Feature.yaml (Go templates) into fasit's (Jinja)",
        description="Rewrite a nais/fasit Feature.yaml in fasit's dialect: every computed"
        " template translated from Go's text/template to Jinja, everything else kept as"
        " written. What cannot be translated is left as it is under a `# fasit migrate:`"
        " comment and listed on stderr. Each translation is checked by rendering both"
        " sides in sample environments; one that renders differently is left as it is too,"
        " one that cannot be checked is kept and listed as not verified. Exit 0: all"
        " translated, 1: a person must finish (listed), 2: unreadable input.",
    )
    feature.add_argument(
        "path",
        type=Path,
        metavar="FILE|DIR",
        help="a Feature.yaml, or a directory: every Feature.yaml under it",
    )
    feature.add_argument(
        "--in-place",
        action="store_true",
        help="write each result back to its file (default: stdout)",
    )
    feature.set_defaults(command=_migrate_feature)


def _migrate_feature(args: argparse.Namespace) -> int:
    from fasit.migrate import UnreadableFeatureYaml, convert_feature_yaml

    files = _feature_files(args.path)
    results: list[tuple[Path, str, Conversion]] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CouldNotRun(f"{file}: {getattr(exc, 'strerror', None) or exc}") from None
        try:
            results.append((file, text, convert_feature_yaml(text, str(file))))
        except UnreadableFeatureYaml as exc:
            raise CouldNotRun(f"{file}:{exc}") from None
    for file, text, conversion in results:
        if args.in_place:
            if conversion.text != text:
                file.write_text(conversion.text, encoding="utf-8")
        else:
            if len(results) > 1:
                sys.stdout.write(f"# ==> {file} <==\n")
            sys.stdout.write(conversion.text)
    findings = notes = 0
    for file, _, conversion in results:
        listed = sorted((*conversion.findings, *conversion.notes), key=lambda f: (f.line, f.column))
        for finding in listed:
            print(f"{file}:{finding.line}:{finding.column}: {finding.message}", file=sys.stderr)
        findings += len(conversion.findings)
        notes += len(conversion.notes)
    translated = sum(conversion.translated for _, _, conversion in results)
    unchecked = f"; {notes} translated but not verified" if notes else ""
    print(
        f"fasit migrate: {translated} template(s) translated in {len(results)} file(s);"
        f" {findings} left for a person to finish{unchecked}",
        file=sys.stderr,
    )
    return EXIT_PROBLEMS if findings else EXIT_CLEAN


def _feature_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(
            file for file in path.rglob(FEATURE_YAML) if file.is_file() and not file.is_symlink()
        )
        if not files:
            raise CouldNotRun(f"{path}: no {FEATURE_YAML} under this directory")
        return files
    if not path.is_file():
        raise CouldNotRun(f"{path}: no such file or directory")
    return [path]

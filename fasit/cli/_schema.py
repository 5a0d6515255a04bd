"""`fasit schema`: JSON Schemas of every file format, generated from the models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fasit.cli._common import EXIT_CLEAN, EXIT_PROBLEMS

__all__ = ["add_schema"]


def add_schema(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _schema(args: argparse.Namespace) -> int:
    from fasit.model import SCHEMA_MODELS, render_schema

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

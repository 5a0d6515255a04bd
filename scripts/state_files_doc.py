"""Regenerate the field tables of docs/state-files.md from the models (`make state-files-doc`).

The prose of the reference is written by hand; every table of fields sits between markers and
is written by this script:

    <!-- fields: Environment -->            a model's table (a kind, or FeatureYaml, IndexFile,
    …                                       ChartYaml), then one per nested model it uses
    <!-- /fields -->

    <!-- kinds without a section -->        a section for each kind in fasit.model.KINDS that
    …                                       has no `fields:` marker yet, so a new kind is in
    <!-- /kinds without a section -->       the reference as soon as its model is registered

tests/unit/model/test_state_files_doc.py runs `--check`, which writes nothing and exits 1 when
the doc differs from what this script generates.

Usage: python scripts/state_files_doc.py [--check] [--doc PATH]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's models, whatever fasit is installed

from pydantic import BaseModel  # noqa: E402

from fasit.model import KINDS, ChartYaml, FeatureYaml, IndexFile, render_fields  # noqa: E402

DOC = ROOT / "docs" / "state-files.md"
COMMAND = "python scripts/state_files_doc.py"

FORMATS: dict[str, type[BaseModel]] = {
    "FeatureYaml": FeatureYaml,
    "IndexFile": IndexFile,
    "ChartYaml": ChartYaml,
}
"""The file formats that are not state documents (no kind), by marker name."""

_FIELDS = re.compile(r"(<!-- fields: (\w+) -->\n)(.*?)(<!-- /fields -->)", re.DOTALL)
_OTHER_KINDS = re.compile(
    r"(<!-- kinds without a section -->\n)(.*?)(<!-- /kinds without a section -->)", re.DOTALL
)


def generate(text: str, kinds: Mapping[str, type[BaseModel]] = KINDS) -> str:
    """`text` (the doc) with every generated part written afresh from the models."""
    models = {**kinds, **FORMATS}
    rendered: set[str] = set()
    sections: list[str] = []

    def fields(match: re.Match[str]) -> str:
        name = match[2]
        model = models.get(name)
        if model is None:
            known = ", ".join(models)
            raise SystemExit(f"{DOC.name}: <!-- fields: {name} --> names no model ({known})")
        sections.append(name)
        return f"{match[1]}\n{render_fields(model, rendered)}\n{match[4]}"

    text = _FIELDS.sub(fields, text)
    missing = [name for name in kinds if name not in sections]
    block = "".join(
        f"### {name}\n\n{_summary(kinds[name])}\n\n{render_fields(kinds[name], rendered)}\n"
        for name in missing
    )
    if not _OTHER_KINDS.search(text):
        raise SystemExit(f"{DOC.name}: the <!-- kinds without a section --> markers are missing")
    return _OTHER_KINDS.sub(
        lambda match: f"{match[1]}\n{block or 'Every kind has its section above.'}\n\n{match[3]}",
        text,
    )


def _summary(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument("--doc", type=Path, default=DOC, help=f"default: {DOC}")
    args = parser.parse_args()
    current = args.doc.read_text(encoding="utf-8")
    fresh = generate(current)
    if fresh == current:
        return 0
    if args.check:
        print(f"{args.doc}: stale field tables; run `{COMMAND}` and commit it", file=sys.stderr)
        return 1
    args.doc.write_text(fresh, encoding="utf-8")
    print(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""docs/state-files.md: its field tables are what scripts/state_files_doc.py generates from the
models, every kind is in it (a new one by itself), and every example validates with no problem."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Literal

from pydantic import BaseModel, Field

from fasit.model import (
    KINDS,
    ChartYaml,
    FeatureYaml,
    IndexFile,
    StateModel,
    field_rows,
    models_of,
    render_fields,
)
from fasit.plan import validate_tree
from fasit.state import DirectoryTree
from tests.helpers import write_tree

ROOT = Path(__file__).parents[3]
DOC = ROOT / "docs" / "state-files.md"
SCRIPT = ROOT / "scripts" / "state_files_doc.py"
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```yaml\n(.*?)```", re.DOTALL)


def run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("state_files_doc", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def examples() -> dict[str, str]:
    return dict(EXAMPLE.findall(DOC.read_text(encoding="utf-8")))


def test_the_field_tables_are_what_the_script_generates_from_the_models() -> None:
    run = run_script("--check")

    assert run.returncode == 0, run.stderr


def test_a_stale_reference_fails_the_check_and_names_the_command_that_regenerates_it(
    tmp_path: Path,
) -> None:
    stale = tmp_path / "state-files.md"
    stale.write_text(DOC.read_text(encoding="utf-8").replace("`priority`", "`urgency`", 1))

    run = run_script("--check", "--doc", stale)

    assert run.returncode == 1
    assert "run `python scripts/state_files_doc.py`" in run.stderr


class Canary(StateModel):
    """A kind nobody has written prose for yet."""

    api_version: Literal["fasit/v1"] = Field(description="The version of the format.")
    kind: Literal["Canary"] = Field(description="The kind.")
    waves: int = Field(default=1, description="How many waves.")


def test_a_registered_kind_without_a_section_of_its_own_still_gets_its_table() -> None:
    text = DOC.read_text(encoding="utf-8")

    generated = load_script().generate(text, {**KINDS, "Canary": Canary})

    section = generated.split("<!-- kinds without a section -->")[1]
    assert "### Canary\n\nA kind nobody has written prose for yet." in section
    assert "| `waves` | integer | `1` | How many waves. |" in section


def test_a_field_row_gives_the_name_as_written_its_type_default_and_description() -> None:
    rows = {row.name: row for row in field_rows(KINDS["Assignment"])}

    assert rows["priority"].type == "integer"
    assert rows["priority"].default == "`0`"
    assert rows["priority"].description == "Breaks ties between equally specific targets."
    assert rows["target"].default == "required"


def test_angle_brackets_in_a_description_are_text_not_html() -> None:
    table = render_fields(KINDS["Environment"])

    assert "templates as env.&lt;key&gt;" in table


def every_model() -> list[type[BaseModel]]:
    formats: list[type[BaseModel]] = [*KINDS.values(), FeatureYaml, IndexFile, ChartYaml]
    return list(dict.fromkeys(nested for model in formats for nested in models_of(model)))


def test_every_field_of_every_format_has_a_description() -> None:
    missing = [
        f"{model.__name__}.{row.name}"
        for model in every_model()
        for row in field_rows(model)
        if not row.description
    ]

    assert not missing, f"fields without a description= in fasit/model: {missing}"


def test_every_kind_has_an_example() -> None:
    kinds = {
        match
        for text in examples().values()
        for match in re.findall(r"^kind: (\w+)$", text, re.MULTILINE)
    }

    assert set(KINDS) <= kinds, f"kinds with no example in {DOC.name}: {set(KINDS) - kinds}"


def test_every_yaml_block_is_an_example_that_is_checked() -> None:
    text = DOC.read_text(encoding="utf-8")

    assert text.count("```yaml") == len(EXAMPLE.findall(text))


def test_the_examples_together_are_a_state_repository_with_no_problem(tmp_path: Path) -> None:
    write_tree(tmp_path, dict(examples()))

    result = validate_tree(DirectoryTree(tmp_path))

    assert [str(problem) for problem in result.problems] == []
    assert [(pair, release.status.value) for pair, release in result.plan.releases.items()] == [
        (("nav/prod", "aivenator"), "planned")
    ]

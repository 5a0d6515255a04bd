"""JSON Schemas: generated from the models, committed fresh, and valid for every example file."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from fasit.model import SCHEMA_MODELS
from tests.helpers import run_cli

ROOT = Path(__file__).parents[2]
SCHEMAS = ROOT / "schemas"
EXAMPLE = ROOT / "example-state-repo"
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.MULTILINE)
KIND_SCHEMAS = {
    "Environment": "environment",
    "Feature": "feature",
    "Assignment": "assignment",
    "Config": "config",
    "Rollout": "rollout",
}


def example_files() -> list[Path]:
    return sorted(
        path
        for path in EXAMPLE.rglob("*.yaml")
        if path.name != "Chart.yaml"
        and "templates" not in path.parts
        and path.name != "values.yaml"
    )


def test_committed_schemas_are_current() -> None:
    run = run_cli("schema", "--output", SCHEMAS, "--check")

    assert run.exit_code == 0, f"stale schemas, run `fasit schema`: {run.stderr}"


def test_schema_check_fails_and_names_a_stale_schema(tmp_path: Path) -> None:
    assert run_cli("schema", "--output", tmp_path).exit_code == 0
    (tmp_path / "config.json").write_text("{}\n", encoding="utf-8")

    run = run_cli("schema", "--output", tmp_path, "--check")

    assert run.exit_code == 1
    assert "config.json: stale" in run.stderr


def test_every_model_has_a_committed_schema() -> None:
    assert sorted(path.stem for path in SCHEMAS.glob("*.json")) == sorted(SCHEMA_MODELS)


@pytest.mark.parametrize("path", example_files(), ids=lambda path: str(path.relative_to(EXAMPLE)))
def test_example_file_validates_against_the_schema_it_names(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    documents = text.split("\n---\n")
    for document in documents:
        match = SCHEMA_LINE.search(document)
        assert match, f"{path} lacks a yaml-language-server $schema line"
        schema_path = (path.parent / match.group(1)).resolve()
        data = yaml.safe_load(document)
        expected = "feature-yaml" if path.name == "Feature.yaml" else KIND_SCHEMAS[data["kind"]]
        assert schema_path == SCHEMAS / f"{expected}.json"
        schema = yaml.safe_load(schema_path.read_text(encoding="utf-8"))
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def test_schema_rejects_what_validate_rejects() -> None:
    schema = yaml.safe_load((SCHEMAS / "assignment.json").read_text(encoding="utf-8"))
    bad = {
        "apiVersion": "fasit/v1",
        "kind": "Assignment",
        "feature": "a",
        "version": 1.1,
        "target": {},
    }

    with pytest.raises(jsonschema.ValidationError, match="is not of type 'string'"):
        jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)

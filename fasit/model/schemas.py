"""JSON Schemas of every file format, generated from the models (the models are the truth).

Editors use them through `# yaml-language-server: $schema=…` lines; `fasit schema` writes them
to `schemas/<name>.json`, and a test fails when the committed files are stale.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from fasit.model.feature_yaml import FeatureYaml
from fasit.model.index import IndexFile
from fasit.model.kinds import Assignment, Config, Environment, Feature, Rollout

__all__ = ["SCHEMA_MODELS", "render_schema"]

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "environment": Environment,
    "feature": Feature,
    "assignment": Assignment,
    "config": Config,
    "rollout": Rollout,
    "feature-yaml": FeatureYaml,
    "index": IndexFile,
}

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def render_schema(name: str) -> str:
    """The JSON Schema text of `name` (a key of SCHEMA_MODELS), stable across runs."""
    schema = {"$schema": _DIALECT, **SCHEMA_MODELS[name].model_json_schema(by_alias=True)}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

"""The field reference of the state file formats, rendered from the models (the models are the
truth, as for the JSON Schemas).

`render_fields(model)` is a Markdown table of a model's fields (name as written, type, default,
description) followed by a table for each nested model it uses. scripts/state_files_doc.py
writes these into docs/state-files.md between markers, and a test fails when the doc is stale.
Types come from the model's JSON Schema, so the reference says what `fasit schema` says.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel

__all__ = ["FieldRow", "field_rows", "models_of", "render_fields"]

Schema = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One field as the reference shows it."""

    name: str
    """As written in YAML (camelCase)."""
    type: str
    default: str
    """`required`, or the default as YAML would write it."""
    description: str


def field_rows(model: type[BaseModel]) -> list[FieldRow]:
    """The model's fields in declaration order; nested models are named by a link."""
    schema = model.model_json_schema(by_alias=True)
    definitions = _mapping(schema.get("$defs", {}))
    properties = _mapping(schema.get("properties", {}))
    rows = []
    for name, field in model.model_fields.items():
        alias = field.alias or name
        written = _mapping(properties.get(alias, {}))
        if field.is_required():
            default = "required"
        else:
            value = field.get_default(call_default_factory=True, validated_data={})
            if isinstance(value, BaseModel):
                value = value.model_dump(mode="json", by_alias=True)
            default = f"`{_yaml(value)}`"
        description = field.description or str(written.get("description", ""))
        rows.append(FieldRow(alias, _type(written, definitions), default, description))
    return rows


def render_fields(model: type[BaseModel], rendered: set[str] | None = None) -> str:
    """The model's table, then `#### Name` and a table for each nested model not in `rendered`
    (which it extends: a model used by several formats is described once)."""
    rendered = set() if rendered is None else rendered
    rendered.add(model.__name__)
    parts = [_table(field_rows(model))]
    for nested in models_of(model)[1:]:
        if nested.__name__ in rendered:
            continue
        rendered.add(nested.__name__)
        summary = " ".join((nested.__doc__ or "").split())
        parts.append(f"#### {nested.__name__}\n\n{summary}\n\n{_table(field_rows(nested))}")
    return "\n".join(parts)


def _table(rows: list[FieldRow]) -> str:
    lines = ["| field | type | default | description |", "|---|---|---|---|"]
    for row in rows:
        cells = (f"`{row.name}`", row.type, row.default, row.description)
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def models_of(model: type[BaseModel]) -> list[type[BaseModel]]:
    """`model`, then the models its fields use (depth first, in field order)."""
    found: list[type[BaseModel]] = [model]

    def visit(annotation: object) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.append(annotation)
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for argument in getattr(annotation, "__args__", ()):
            visit(argument)

    for field in model.model_fields.values():
        visit(field.annotation)
    return found


def _type(schema: Schema, definitions: Mapping[str, object]) -> str:
    """A field's type in words, from its JSON Schema."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        target = _mapping(definitions.get(name, {}))
        if "properties" in target:
            return f"[{name}](#{name.lower()})"
        return _type(target, definitions)
    if "const" in schema:
        return f"`{_yaml(schema['const'])}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in _list(schema["enum"]))
    if "anyOf" in schema:
        variants = [_mapping(variant) for variant in _list(schema["anyOf"])]
        named = [_type(v, definitions) for v in variants if v.get("type") != "null"]
        nullable = len(named) < len(variants)
        return " or ".join(named) + (" or null" if nullable else "")
    kind = schema.get("type")
    if kind == "array":
        items = _type(_mapping(schema.get("items", {})), definitions)
        least = schema.get("minItems")
        return f"list of {items}" + (f" (at least {least})" if least else "")
    if kind == "object":
        keys = "string"
        values: Schema = _mapping(schema.get("additionalProperties", {}))
        patterns = _mapping(schema.get("patternProperties", {}))
        if patterns:
            pattern, value_schema = next(iter(patterns.items()))
            values, keys = _mapping(value_schema), f"key matching `{pattern}`"
        return f"mapping of {keys} to {_type(values, definitions)}"
    if kind == "string":
        return "string" + _string_rules(schema)
    if kind in ("integer", "number", "boolean"):
        return f"{kind}{_number_rules(schema)}"
    return "any YAML value"


def _string_rules(schema: Schema) -> str:
    rules = []
    low, high = schema.get("minLength"), schema.get("maxLength")
    if high is not None:
        rules.append(f"{low or 0} to {high} characters")
    elif low is not None and low != 1:
        rules.append(f"at least {low} characters")
    elif low == 1:
        rules.append("not empty")
    if "pattern" in schema:
        rules.append(f"matching `{schema['pattern']}`")
    return f" ({', '.join(rules)})" if rules else ""


def _number_rules(schema: Schema) -> str:
    words = {
        "exclusiveMinimum": ">",
        "minimum": "≥",
        "exclusiveMaximum": "<",
        "maximum": "≤",
    }
    rules = [f"{sign} {schema[key]}" for key, sign in words.items() if key in schema]
    return f" ({', '.join(rules)})" if rules else ""


def _yaml(value: object) -> str:
    """A value as YAML flow text (JSON is YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _cell(text: str) -> str:
    """Text for a table cell: pipes escaped, and `<`, `>` outside code spans (`env.<key>` is
    not an HTML tag)."""
    parts = text.replace("|", "\\|").replace("\n", " ").split("`")
    for index in range(0, len(parts), 2):
        parts[index] = parts[index].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []

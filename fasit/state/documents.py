"""From YAML documents to models, every pydantic error mapped back to its line and column.

`validate_model` serves every file format fasit reads (state kinds, the index, Feature.yaml,
Chart.yaml); `read_state_document` adds the apiVersion / kind dispatch of state documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from fasit.model import API_VERSION, KINDS, StateDocument
from fasit.state.problems import Position, Problem, ProblemCode
from fasit.state.suggest import did_you_mean, field_names
from fasit.state.yamlfile import PathItem, YamlDocument

__all__ = ["Located", "read_state_document", "validate_model"]

M = TypeVar("M", bound=BaseModel)
D = TypeVar("D", bound=StateDocument, covariant=True)


@dataclass(frozen=True, slots=True)
class Located(Generic[D]):
    """A state document's model together with where it came from."""

    model: D
    file: str
    document: YamlDocument
    key: str
    """What the document is, by content: its file, the file's content id and its number in
    the file (`_content_key`). Equal keys mean equal documents, positions included, in any
    build: what incremental work compares, never the object's identity."""

    def position(self, *path: PathItem, at_key: bool = False) -> Position:
        """Where the value at `path` (camelCase field names, list indexes) was written."""
        return self.document.locate(path, at_key=at_key)

    def where(self, *path: PathItem) -> str:
        """`file:line` of the value at `path`, for messages that point at another place."""
        return f"{self.file}:{self.position(*path).line}"


_TYPE_ERRORS = frozenset(
    {
        "string_type",
        "int_type",
        "int_from_float",
        "bool_type",
        "float_type",
        "dict_type",
        "list_type",
        "model_type",
        "model_attributes_type",
        "none_required",
        "is_instance_of",
    }
)


def validate_model(
    model: type[M], document: YamlDocument, file: str
) -> tuple[M | None, list[Problem]]:
    """Validate a document's data as `model`; on failure, one problem per pydantic error."""
    try:
        return model.model_validate(document.data), []
    except ValidationError as exc:
        return None, [_problem(error, document, file, model) for error in exc.errors()]


def _content_key(file: str, content_id: str, number: int) -> str:
    """The key of the `number`th document of `file` whose bytes have `content_id`.

    _content_key("envs/nav.yaml", "sha256:ab12", 0) → "envs/nav.yaml@sha256:ab12#0"
    """
    return f"{file}@{content_id}#{number}"


def read_state_document(
    document: YamlDocument, file: str, content_id: str
) -> tuple[Located[StateDocument] | None, list[Problem]]:
    """Check apiVersion and kind, then validate the document as its kind's model.

    `content_id` identifies the file's bytes (a git blob id or a SHA-256): it makes the key.
    """
    data = document.data
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else f"the scalar {data!r}"
        return None, [
            Problem.at(
                file,
                document.start,
                ProblemCode.NOT_A_MAPPING,
                f"a state document is a mapping with apiVersion and kind, not {found}",
            )
        ]
    problems: list[Problem] = []
    api_version = data.get("apiVersion")
    if api_version != API_VERSION:
        message = (
            f"missing apiVersion (expected {API_VERSION})"
            if "apiVersion" not in data
            else f"apiVersion {api_version!r} is not supported (expected {API_VERSION})"
        )
        problems.append(
            Problem.at(file, document.locate(["apiVersion"]), ProblemCode.API_VERSION, message)
        )
    kind = data.get("kind")
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join(KINDS)
        message = (
            f"missing kind (one of {known})"
            if "kind" not in data
            else f"unknown kind {kind!r} (one of {known})"
        )
        problems.append(
            Problem.at(file, document.locate(["kind"]), ProblemCode.UNKNOWN_KIND, message)
        )
    if problems or model is None:
        return None, problems
    parsed, problems = validate_model(model, document, file)
    if parsed is None:
        return None, problems
    return Located(parsed, file, document, _content_key(file, content_id, document.index)), []


def _problem(
    error: ErrorDetails, document: YamlDocument, file: str, model: type[BaseModel]
) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    field = _dotted(loc)
    refusals: Mapping[str, str] = getattr(model, "refused_fields", {})
    refused = refusals.get(str(loc[-1])) if len(loc) == 1 else None
    if kind == "extra_forbidden" and refused is not None:
        code, message = ProblemCode.UNKNOWN_FIELD, f"field {field!r} is not supported: {refused}"
        position = document.locate(loc, at_key=True)
    elif kind == "extra_forbidden":
        hint = did_you_mean(str(loc[-1]), field_names(model, loc[:-1]))
        code, message = ProblemCode.UNKNOWN_FIELD, f"unknown field {field!r}{hint}"
        position = document.locate(loc, at_key=True)
    elif kind == "missing":
        code, message = ProblemCode.MISSING_FIELD, f"missing required field {field!r}"
        position = document.locate(loc[:-1])
    else:
        code = ProblemCode.WRONG_TYPE if kind in _TYPE_ERRORS else ProblemCode.INVALID_VALUE
        written = document.node_at(loc).value if kind == "string_type" else None
        sentence = _sentence(error, written if isinstance(written, str) else None)
        message = f"{field}: {sentence}" if field else sentence
        position = document.locate(loc)
    return Problem.at(file, position, code, message)


def _sentence(error: ErrorDetails, written: str | None) -> str:
    """Pydantic's message, plus what was found; a number where text belongs gets a hint."""
    message = error["msg"].removeprefix("Value error, ")
    given = error.get("input")
    if written is not None and isinstance(given, int | float | bool):
        return (
            f"{message}, got {written} (YAML reads it as {_type_name(given)}):"
            f' quote it ("{written}") to keep it a string'
        )
    if error["type"] in _TYPE_ERRORS:
        return f"{message}, got {_type_name(given)} {given!r}"
    return message


def _type_name(value: object) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    if value is None:
        return "null"
    return names.get(type(value), f"a {type(value).__name__}")


def _dotted(loc: Sequence[str | int]) -> str:
    text = ""
    for item in loc:
        if item == "[key]":
            continue
        if isinstance(item, int):
            text += f"[{item}]"
        else:
            text += f".{item}" if text else str(item)
    return text

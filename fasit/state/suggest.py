"""'Did you mean …?': the nearest known name to a misspelt one, for problem messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from pydantic import BaseModel

__all__ = ["did_you_mean", "field_names"]

# difflib's ratio: 0.75 takes 'enviroment' for 'environment' and 'prd' for 'prod', not 'dev'.
_CUTOFF = 0.75


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest of `known` to `word`, or "" when none is close."""
    close = difflib.get_close_matches(word, sorted(set(known)), n=1, cutoff=_CUTOFF)
    return f" (did you mean {close[0]!r}?)" if close else ""


def field_names(model: type[BaseModel], path: Iterable[int | str]) -> list[str]:
    """The field names (as written, i.e. aliases) of the model at `path` inside `model`; empty
    when the path leads somewhere that is not a model (a mapping, a list)."""
    current: type[BaseModel] = model
    for step in path:
        field = next(
            (f for name, f in current.model_fields.items() if step in (name, f.alias)), None
        )
        annotation = None if field is None else field.annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        current = annotation
    return [field.alias or name for name, field in current.model_fields.items()]

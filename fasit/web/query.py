"""Query strings of pages and their JSON twins: paging and filters, checked, with 400s that say
what is wrong; and the 404 of a thing that does not exist."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from starlette.datastructures import QueryParams

from fasit.errors import InvalidInput
from fasit.reconcile import Status

__all__ = [
    "MAX_PER_PAGE",
    "BadQuery",
    "NotFound",
    "Paging",
    "choice_filter",
    "label_filter",
    "page_of",
    "status_filter",
    "whole_number",
]

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1_000
_SHOWN_CHARS = 40


class BadQuery(InvalidInput, ValueError):
    """A query parameter that cannot be used: answered 400 with the message."""


class NotFound(InvalidInput, LookupError):
    """A page about something that does not exist: answered 404 with the message."""


@dataclass(frozen=True, slots=True)
class Paging:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def of(cls, query: QueryParams, default_per_page: int = DEFAULT_PER_PAGE) -> Paging:
        page = whole_number(query, "page", 1)
        per_page = whole_number(query, "per_page", default_per_page, MAX_PER_PAGE)
        return cls(page, per_page)


def page_of(items: Sequence[T], paging: Paging, shown: Callable[[T], object]) -> dict[str, object]:
    """One page of `items`, each as `shown` makes it, with where the page is in the whole."""
    start = (paging.page - 1) * paging.per_page
    return {
        "items": [shown(item) for item in items[start : start + paging.per_page]],
        "page": paging.page,
        "per_page": paging.per_page,
        "total": len(items),
        "pages": max(1, math.ceil(len(items) / paging.per_page)),
    }


def status_filter(query: QueryParams) -> Status | None:
    return choice_filter(query, "status", Status)


def choice_filter(query: QueryParams, name: str, choices: type[E]) -> E | None:
    """An enum-valued filter, in any case (people type `failed`); None when absent."""
    text = query.get(name, "")
    if not text:
        return None
    wanted = text.strip().casefold()
    for choice in choices:
        if choice.value.casefold() == wanted:
            return choice
    words = ", ".join(choice.value for choice in choices)
    raise BadQuery(f"{name} must be one of {words}; got {_given(text)}")


def label_filter(query: QueryParams) -> dict[str, str]:
    """`label=KEY=VALUE`, repeatable: every one must match."""
    labels = {}
    for text in query.getlist("label"):
        key, separator, value = text.partition("=")
        if not separator or not key:
            raise BadQuery(f"label must be KEY=VALUE, got {_given(text)}")
        labels[key] = value
    return labels


def whole_number(query: QueryParams, name: str, default: int, maximum: int | None = None) -> int:
    """A count from 1 (to `maximum`), or `default` when absent."""
    text = query.get(name, "")
    if not text:
        return default
    try:
        number = int(text)
    except ValueError:
        raise BadQuery(f"{name} must be a whole number, got {_given(text)}") from None
    if number < 1:
        raise BadQuery(f"{name} must be 1 or more, got {number}")
    if maximum is not None and number > maximum:
        raise BadQuery(f"{name} must be 1..{maximum}, got {number}")
    return number


def _given(text: str) -> str:
    """What the user sent, quoted with control characters escaped and cut short: an error
    message must stay one readable line whatever was sent."""
    shown = repr(text[:_SHOWN_CHARS])
    return shown + "…" if len(text) > _SHOWN_CHARS else shown

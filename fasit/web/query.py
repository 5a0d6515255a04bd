"""Query strings of pages and their JSON twins: paging and filters, checked, with 400s that say
what is wrong; and the 404 of a thing that does not exist."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from starlette.datastructures import QueryParams

from fasit.reconcile import Status

__all__ = [
    "MAX_PER_PAGE",
    "BadQuery",
    "NotFound",
    "Paging",
    "label_filter",
    "page_of",
    "status_filter",
]

T = TypeVar("T")

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1_000


class BadQuery(ValueError):
    """A query parameter that cannot be used: answered 400 with the message."""


class NotFound(LookupError):
    """A page about something that does not exist: answered 404 with the message."""


@dataclass(frozen=True, slots=True)
class Paging:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def of(cls, query: QueryParams, default_per_page: int = DEFAULT_PER_PAGE) -> Paging:
        page = _positive(query, "page", 1)
        per_page = _positive(query, "per_page", default_per_page)
        if per_page > MAX_PER_PAGE:
            raise BadQuery(f"per_page must be 1..{MAX_PER_PAGE}, got {per_page}")
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
    text = query.get("status", "")
    if not text:
        return None
    try:
        return Status(text.upper())
    except ValueError:
        words = ", ".join(status.value for status in Status)
        raise BadQuery(f"status must be one of {words}; got {text!r}") from None


def label_filter(query: QueryParams) -> dict[str, str]:
    """`label=KEY=VALUE`, repeatable: every one must match."""
    labels = {}
    for text in query.getlist("label"):
        key, separator, value = text.partition("=")
        if not separator or not key:
            raise BadQuery(f"label must be KEY=VALUE, got {text!r}")
        labels[key] = value
    return labels


def _positive(query: QueryParams, name: str, default: int) -> int:
    text = query.get(name, "")
    if not text:
        return default
    try:
        number = int(text)
    except ValueError:
        raise BadQuery(f"{name} must be a whole number, got {text!r}") from None
    if number < 1:
        raise BadQuery(f"{name} must be 1 or more, got {number}")
    return number

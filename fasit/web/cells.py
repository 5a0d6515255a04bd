"""The fleet matrix's rows as HTML, made here rather than in Jinja: a window is 10,000 cells,
and a template loop over them measured some 40 µs a cell (most of it the cyclic collector
walking the fleet, woken by the loop's small objects), past the page's 300 ms goal. Called by
templates/matrix.html (`matrix_rows`, a template global); every value is escaped here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast
from urllib.parse import quote

from markupsafe import Markup, escape

__all__ = ["matrix_rows"]

Cell = Mapping[str, object]


def matrix_rows(columns: Sequence[Mapping[str, object]], rows: Sequence[Cell]) -> Markup:
    """`<tr>` per row of the matrix page's data (pages.matrix): the feature's link, then a
    cell per column, coloured by status, holding the running version ("1.1 → 1.2" while
    rolling) linked to the release, the desired version in its title.

    >>> str(matrix_rows([{"environment": "nav/dev"}], [{"feature": "<b>", "cells": [None]}]))
    '<tr data-feature="&lt;b&gt;"><th><a href="/features/%3Cb%3E">&lt;b&gt;</a></th><td...'
    """
    environments = [str(column["environment"]) for column in columns]
    names = [escape(name) for name in environments]
    paths = [escape(quote(name, safe="/")) for name in environments]
    lines: list[str] = []
    escaped: dict[object, str] = {}  # a fleet has few statuses and versions: escape each once

    def text(value: object) -> str:
        found = escaped.get(value)
        if found is None:
            found = escaped[value] = str(escape(value))
        return found

    for row in rows:
        feature = str(row["feature"])
        name = escape(feature)
        path = escape(quote(feature, safe="/"))
        parts = [f'<tr data-feature="{name}"><th><a href="/features/{path}">{name}</a></th>']
        for index, cell in enumerate(cast(Sequence[Cell | None], row["cells"])):
            if cell is None:
                parts.append('<td class="cell"></td>')
                continue
            status = text(cell["status"])
            desired = text(cell["desired_version"] or "—")
            running = text(cell["running_version"] or "")
            shown = f"{running} → {desired}" if cell["rolling"] else running or desired
            parts.append(
                f'<td class="cell status-{status}" data-environment="{names[index]}"'
                f' data-status="{status}" title="{status}, desired {desired}">'
                f'<a href="/environments/{paths[index]}/features/{path}">{shown}</a></td>'
            )
        parts.append("</tr>\n")
        lines.append("".join(parts))
    return Markup("".join(lines))  # every part above is escaped

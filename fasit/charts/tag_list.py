"""A registry's tag listing (`tags/list`), read page by page as the registry's word, never trusted.

`RegistryClient.list_tags` fetches the pages; this module decides what one page holds and which
page comes next. A page is a JSON object whose `tags` is a list (its strings are the tags); the
next page is its `Link: rel="next"`, followed only on the same host and never to a page already
read. Anything else is a `RegistryError` naming the registry and repository. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Set
from urllib.parse import urljoin, urlsplit

from fasit.charts.registry_errors import RegistryError, RegistryFailure
from fasit.model import OciChart

__all__ = ["next_tag_page", "tags_of_page"]


def tags_of_page(chart: OciChart, body: bytes) -> list[str]:
    """The tags one page of a listing names, in its order (entries that are not strings dropped).

    `{"name": "charts/app", "tags": ["1.0.0", "1.1.0"]}` → `["1.0.0", "1.1.0"]`; a page without
    `tags` (or with `null`) names none.
    """
    try:
        page = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # RecursionError: Python's parser recurses per level, and the registry chose the depth.
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise _invalid(chart, f"is not JSON: {why}") from None
    tags = page.get("tags") if isinstance(page, dict) else ""
    if tags is None:
        return []
    if not isinstance(tags, list):
        raise _invalid(chart, 'is not a list of tags (a JSON object with "tags": [...])')
    return [tag for tag in tags if isinstance(tag, str)]


def next_tag_page(chart: OciChart, url: str, link: str | None, read: Set[str]) -> str | None:
    """The absolute URL of the page after `url` (`link` is its Link rel="next"), or None at the end.

    `read` holds the URLs of the pages already read: a link back to one would page forever.
    """
    if not link:
        return None
    target = urljoin(url, link)
    here, there = urlsplit(url), urlsplit(target)
    if (here.scheme, here.netloc) != (there.scheme, there.netloc):
        raise _invalid(
            chart,
            f"links to another host ({there.scheme}://{there.netloc}); credentials for this"
            " registry are not sent there",
        )
    if target in read:
        where = there.path + (f"?{there.query}" if there.query else "")
        raise _invalid(chart, f"links back to a page it already gave ({where})")
    return target


def _invalid(chart: OciChart, why: str) -> RegistryError:
    return RegistryError(
        RegistryFailure.INVALID, f"{chart.registry}: the tag list of {chart.repository} {why}"
    )

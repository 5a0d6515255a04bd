"""One page of a registry's tag listing: the tags it names, and which page comes next."""

from __future__ import annotations

import pytest

from fasit.charts.registry_errors import RegistryError
from fasit.charts.tag_list import next_tag_page, tags_of_page
from fasit.model import parse_oci_chart

CHART = parse_oci_chart("oci://registry.test/charts/app")
FIRST = "https://registry.test/v2/charts/app/tags/list?n=2"


def test_a_page_names_its_string_tags_in_order_and_drops_the_rest() -> None:
    body = b'{"name": "charts/app", "tags": ["1.1.0", 7, "1.0.0", null]}'

    assert tags_of_page(CHART, body) == ["1.1.0", "1.0.0"]


@pytest.mark.parametrize("body", [b'{"name": "charts/app", "tags": null}', b"{}"], ids=str)
def test_a_page_without_tags_names_none(body: bytes) -> None:
    assert tags_of_page(CHART, body) == []


def test_a_relative_link_is_the_next_page_on_the_same_host() -> None:
    link = "/v2/charts/app/tags/list?n=2&last=1.1.0"

    assert next_tag_page(CHART, FIRST, link, {FIRST}) == (
        "https://registry.test/v2/charts/app/tags/list?n=2&last=1.1.0"
    )


def test_no_link_is_the_last_page() -> None:
    assert next_tag_page(CHART, FIRST, None, {FIRST}) is None


def test_a_link_to_the_same_host_on_another_scheme_is_another_host() -> None:
    with pytest.raises(RegistryError, match=r"links to another host \(http://registry.test\)"):
        next_tag_page(CHART, FIRST, "http://registry.test/v2/charts/app/tags/list", {FIRST})

"""Dotted value keys nest; `\\.` escapes a dot; a leaf that is also a prefix is an error."""

from __future__ import annotations

import pytest

from fasit.plan import KeyConflict, nest, split_key


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("replicas", ("replicas",)),
        ("cluster.name", ("cluster", "name")),
        ("annotations.example\\.com/team", ("annotations", "example.com/team")),
        ("a\\b", ("a\\b",)),
    ],
)
def test_split_key(key: str, path: tuple[str, ...]) -> None:
    assert split_key(key) == path


def test_nest_builds_mappings_from_dotted_keys() -> None:
    assert nest({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}


@pytest.mark.parametrize("keys", [("a", "a.b"), ("a.b", "a")])
def test_a_leaf_that_is_a_prefix_of_another_key_names_both(keys: tuple[str, str]) -> None:
    with pytest.raises(KeyConflict) as raised:
        nest(dict.fromkeys(keys, 1))

    assert (raised.value.leaf, raised.value.other) == ("a", "a.b")

"""Unchanged documents are those with the same content keys, whatever the objects."""

from __future__ import annotations

from typing import Any

from fasit.state import changed_documents, same_documents
from tests.helpers import located

A_TEXT = "apiVersion: fasit/v1\nkind: Feature\nname: a\nchart: charts/a\n"
B_TEXT = "apiVersion: fasit/v1\nkind: Feature\nname: b\nchart: charts/b\n"


def _a() -> Any:
    return located(A_TEXT, "features/a.yaml")


def _b(text: str = B_TEXT, file: str = "features/b.yaml") -> Any:
    return located(text, file)


def test_documents_parsed_again_from_the_same_bytes_are_the_same() -> None:
    assert same_documents([_a(), _b()], (_a(), _b()))


def test_an_edited_document_is_not_the_same() -> None:
    assert not same_documents([_a(), _b()], [_a(), _b(B_TEXT + "prune: true\n")])


def test_the_same_bytes_in_another_file_are_not_the_same_document() -> None:
    assert not same_documents([_b()], [_b(file="features/renamed.yaml")])


def test_another_order_or_length_is_not_the_same() -> None:
    a, b = _a(), _b()
    assert (same_documents([a, b], [b, a]), same_documents([a, b], [a])) == (False, False)


def test_mappings_are_the_same_by_name_whatever_their_order() -> None:
    assert same_documents({"a": _a(), "b": _b()}, {"b": _b(), "a": _a()})


def test_a_mapping_is_never_the_same_as_a_sequence() -> None:
    assert not same_documents({"a": _a()}, [_a()])


def test_changed_documents_names_the_edited_added_and_removed_ones() -> None:
    old = {"a": _a(), "b": _b(), "gone": _b(file="features/gone.yaml")}
    new = {"a": _a(), "b": _b(B_TEXT + "prune: true\n"), "added": _a()}

    assert changed_documents(old, new) == {"b", "gone", "added"}

"""same_objects: unchanged means the very same objects, in order or by key."""

from __future__ import annotations

from copy import copy

from fasit.state import same_objects


class Doc:
    """A stand-in for a parsed document: equal copies are still other objects."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Doc)

    __hash__ = object.__hash__


A, B = Doc(), Doc()


def test_the_same_objects_in_the_same_order_are_the_same() -> None:
    assert same_objects((A, B), [A, B])


def test_an_equal_copy_is_not_the_same() -> None:
    assert not same_objects([A, B], [A, copy(B)])


def test_another_order_or_length_is_not_the_same() -> None:
    assert (same_objects([A, B], [B, A]), same_objects([A, B], [A])) == (False, False)


def test_mappings_are_the_same_by_key_whatever_their_order() -> None:
    assert same_objects({"a": A, "b": B}, {"b": B, "a": A})


def test_a_mapping_with_another_key_or_object_is_not_the_same() -> None:
    assert (same_objects({"a": A}, {"b": A}), same_objects({"a": A}, {"a": copy(A)})) == (
        False,
        False,
    )


def test_a_mapping_is_never_the_same_as_a_sequence() -> None:
    assert not same_objects({"a": A}, [A])

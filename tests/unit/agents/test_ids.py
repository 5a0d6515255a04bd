"""Instruction ids are a pure function of what the attempt is."""

from __future__ import annotations

import pytest

from fasit.agents import instruction_id


def test_the_same_attempt_has_the_same_id() -> None:
    assert instruction_id("nav/prod", "a", "sha256:1", 1) == instruction_id(
        "nav/prod", "a", "sha256:1", 1
    )


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(("nav/dev", "a", "sha256:1", 1), id="environment"),
        pytest.param(("nav/prod", "b", "sha256:1", 1), id="release"),
        pytest.param(("nav/prod", "a", "sha256:2", 1), id="release hash"),
        pytest.param(("nav/prod", "a", "sha256:1", 2), id="attempt"),
    ],
)
def test_any_other_part_gives_another_id(other: tuple[str, str, str, int]) -> None:
    assert instruction_id(*other) != instruction_id("nav/prod", "a", "sha256:1", 1)


def test_ids_do_not_collide_across_field_boundaries() -> None:
    assert instruction_id("a/b", "c-d", "e", 1) != instruction_id("a/b", "c", "-de", 1)


def test_an_id_is_32_hex_characters() -> None:
    identifier = instruction_id("nav/prod", "a", "sha256:1", 0)
    assert len(identifier) == 32
    assert set(identifier) <= set("0123456789abcdef")


def test_a_negative_attempt_is_refused() -> None:
    with pytest.raises(ValueError, match="attempt must be 0 or more"):
        instruction_id("nav/prod", "a", "sha256:1", -1)

"""The memory policy: when the cyclic collector runs in one-shot commands and in `fasit serve`."""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from fasit.memory import ServeMemory, frozen_objects, one_shot

ROOT = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def _collector_as_it_was() -> Iterator[None]:
    """Each test leaves the collector enabled and nothing of the test process frozen."""
    gc.enable()
    yield
    gc.unfreeze()
    gc.enable()


def _long_lived() -> list[list[int]]:
    """A thousand objects the collector tracks (containers of plain values are not tracked)."""
    return [[number] for number in range(1000)]


def test_a_one_shot_command_runs_with_the_collector_off_and_gives_it_back() -> None:
    with one_shot():
        inside = gc.isenabled()

    assert (inside, gc.isenabled()) == (False, True)


async def test_serve_keeps_the_collector_off_from_start_until_the_first_pass() -> None:
    memory = ServeMemory()

    memory.start()
    memory.handed_over()
    before_the_pass = gc.isenabled()
    memory.passed()

    assert (before_the_pass, gc.isenabled()) == (False, True)
    memory.stop()


async def test_the_first_pass_freezes_what_the_start_built() -> None:
    memory = ServeMemory()
    memory.start()
    heap = _long_lived()

    memory.passed()

    assert frozen_objects() >= len(heap)
    memory.stop()


async def test_each_hand_over_after_the_start_freezes_what_the_plan_made() -> None:
    memory = ServeMemory()
    memory.start()
    memory.passed()
    frozen = frozen_objects()
    plan = _long_lived()

    memory.handed_over()

    assert frozen_objects() >= frozen + len(plan)
    memory.stop()


async def test_frozen_objects_are_still_freed_when_nothing_holds_them() -> None:
    memory = ServeMemory()
    memory.start()
    memory.passed()
    plan = _long_lived()
    memory.handed_over()
    frozen = frozen_objects()

    del plan

    assert frozen_objects() <= frozen - 1000
    memory.stop()


async def test_the_collector_comes_back_after_the_start_limit_when_no_pass_comes() -> None:
    memory = ServeMemory(start_limit=0.01)
    memory.start()

    for _ in range(500):  # bounded: at most 5 s
        if gc.isenabled():
            break
        await asyncio.sleep(0.01)

    assert gc.isenabled()
    assert not memory.starting
    memory.stop()


async def test_stopping_during_the_start_gives_the_collector_back() -> None:
    memory = ServeMemory()
    memory.start()

    memory.stop()

    assert gc.isenabled()


def test_only_the_memory_policy_touches_the_collector() -> None:
    touching = sorted(
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("fasit", "naisd")
        for path in (ROOT / package).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bgc\.|import gc\b", line)
    )

    assert {entry.partition(":")[0] for entry in touching} == {"fasit/memory.py"}

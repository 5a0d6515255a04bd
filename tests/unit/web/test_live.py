"""Live updates: a notice per change of what pages show, bounded per client, ended on close."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fasit.web import LiveUpdates
from fasit.web.viewer import Viewer


class Shown:
    def __init__(self) -> None:
        self.state = 0

    def __call__(self, viewer: Viewer) -> int:
        return self.state


async def greeted(live: LiveUpdates) -> AsyncIterator[str]:
    stream = live.connect()
    assert "event: hello" in await anext(stream)
    return stream


async def running(live: LiveUpdates) -> asyncio.Task[None]:
    task = asyncio.create_task(live.run())
    await asyncio.sleep(0)
    return task


async def stopped(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_change_is_announced_to_every_client() -> None:
    shown = Shown()
    live = LiveUpdates(shown, min_interval=0)
    task = await running(live)
    streams = [await greeted(live), await greeted(live)]

    shown.state = 1
    live.notify()
    notices = [await asyncio.wait_for(anext(stream), 1) for stream in streams]

    assert all(notice.startswith("event: change\n") for notice in notices)
    await stopped(task)


async def test_a_notice_without_a_change_is_not_sent() -> None:
    shown = Shown()
    live = LiveUpdates(shown, min_interval=0)
    task = await running(live)
    stream = await greeted(live)

    live.notify()
    await asyncio.sleep(0.05)
    shown.state = 1
    live.notify()

    assert await asyncio.wait_for(anext(stream), 1)
    assert live.sent == 1
    await stopped(task)


async def test_a_slow_client_keeps_only_its_newest_notices() -> None:
    shown = Shown()
    live = LiveUpdates(shown, queue_size=2, min_interval=0)
    task = await running(live)
    stream = await greeted(live)

    for state in range(1, 6):
        shown.state = state
        live.notify()
        await asyncio.sleep(0.01)

    assert live.dropped == 3
    last = [await anext(stream), await anext(stream)][-1]
    assert str(hash(5)) in last
    await stopped(task)


async def test_closing_ends_every_stream() -> None:
    live = LiveUpdates(Shown())
    stream = await greeted(live)

    live.close()

    assert [chunk async for chunk in stream] == []
    assert live.clients == 0


async def test_an_idle_stream_sends_keepalive_comments() -> None:
    live = LiveUpdates(Shown(), keepalive=0.01)
    stream = await greeted(live)

    assert await anext(stream) == ": keepalive\n\n"


async def test_a_change_nobody_announced_is_found_by_looking() -> None:
    shown = Shown()
    live = LiveUpdates(shown, min_interval=0, poll=0.01)
    task = await running(live)
    stream = await greeted(live)

    shown.state = 1  # no notify()

    assert (await asyncio.wait_for(anext(stream), 1)).startswith("event: change\n")
    await stopped(task)


async def test_the_broadcaster_stops_when_cancelled_just_as_a_notice_arrives() -> None:
    live = LiveUpdates(Shown(), min_interval=0)
    task = await running(live)

    live.notify()
    await asyncio.sleep(0)  # the notice has woken the broadcaster's wait, not yet run it
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=5)

    assert done == {task}
    assert task.cancelled()

"""Records that can repeat without bound are logged once per window, with a count of the rest."""

from __future__ import annotations

import logging

from fasit.cli._logs import RepeatLimit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(message: str, name: str = "asyncio") -> logging.LogRecord:
    return logging.makeLogRecord({"name": name, "msg": message, "levelno": logging.ERROR})


ACCEPT = "socket.accept() out of system resource\nsocket: <socket fd=6>"


def test_a_repeated_record_is_logged_once_per_window() -> None:
    limit = RepeatLimit(window=10, clock=Clock())

    passed = [limit.filter(record(ACCEPT)) for _ in range(1000)]

    assert passed.count(True) == 1


def test_the_next_record_logged_says_how_many_were_held_back() -> None:
    clock = Clock()
    limit = RepeatLimit(window=10, clock=clock)
    for _ in range(1000):
        limit.filter(record(ACCEPT))

    clock.now = 10.0
    later = record(ACCEPT)

    assert limit.filter(later)
    assert later.getMessage().endswith("(and 999 more like this since the last one logged)")


def test_different_records_are_not_held_back_by_each_other() -> None:
    limit = RepeatLimit(window=10, clock=Clock())

    assert limit.filter(record(ACCEPT))
    assert limit.filter(record("Invalid HTTP request received."))
    assert limit.filter(record(ACCEPT, name="uvicorn.error"))

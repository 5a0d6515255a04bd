"""Go-style durations as state files write them: `1h`, `10m`, `90s`, `1h30m`."""

from __future__ import annotations

import re

__all__ = ["DURATION_PATTERN", "duration_seconds", "duration_text"]

DURATION_PATTERN = r"^(\d+h)?(\d+m)?(\d+s)?$"
"""What a duration field accepts (with `min_length=2`, so the empty string is not one)."""

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def duration_seconds(text: str) -> int:
    """The duration as whole seconds.

    >>> duration_seconds("1h30m")
    5400
    """
    match = _DURATION.match(text)
    if match is None or not text:
        raise ValueError(f"bad duration {text!r}")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def duration_text(seconds: int) -> str:
    """Whole seconds written as a duration, the inverse of `duration_seconds`.

    >>> duration_text(5400)
    '1h30m'
    """
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text or "0s"

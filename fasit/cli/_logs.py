"""Log output of `fasit serve`: text for people, or one JSON object per line for machines.

With `--log-format json` each record is `{"time", "level", "logger", "message", ...}` plus
the fields the code attached (`extra=`): a decision or deploy carries `environment`,
`feature` and `revision`, so a log pipeline can filter by them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["JsonFormatter", "RepeatLimit", "TextFormatter", "configure_logging"]

# Loggers whose records can repeat without bound: asyncio logs every failed accept (a file
# limit reached logged 339,113 lines in 30 s), uvicorn every malformed request.
_FLOODABLE = ("asyncio", "uvicorn.error")

# The attributes every LogRecord has; anything else on a record came from `extra=`. uvicorn
# adds `color_message`, the message again with ANSI colours: never wanted in a log.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
_BARE = re.compile(r"[\w./:@+-]+")


def _fields(record: logging.LogRecord) -> dict[str, object]:
    """What the code attached to the record with `extra=`."""
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update(_fields(record))
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value …`: the fields a JSON line would carry, so a
    text line says what it is about (`environment=acme/dev feature=naisd`)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record)
        fields = " ".join(f"{key}={_shown(value)}" for key, value in _fields(record).items())
        return f"{line} {fields}" if fields else line


def _shown(value: object) -> str:
    text = str(value)
    return text if _BARE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


class RepeatLimit(logging.Filter):
    """Lets one record per logger and first message line through per `window` seconds; the
    next one let through says how many were held back."""

    def __init__(self, window: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._window = window
        self._clock = clock
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg).split("\n", 1)[0])
        now = self._clock()
        shown, held = self._seen.get(key, (float("-inf"), 0))
        if now - shown < self._window:
            self._seen[key] = (shown, held + 1)
            return False
        self._seen[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} (and {held:,} more like this since the last one logged)"
        return True


def configure_logging(log_format: str, verbose: bool) -> None:
    """Replace the root handler: INFO (DEBUG when verbose) on stderr, as `log_format` says."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # Noise at INFO: every request line, every HTTP connection of the registry client.
    for name in ("uvicorn.access", "urllib3", "watchfiles"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _FLOODABLE:
        flooding = logging.getLogger(name)
        flooding.filters[:] = [RepeatLimit()]

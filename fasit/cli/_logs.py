"""Log output of `fasit serve`: text for people, or one JSON object per line for machines.

With `--log-format json` each record is `{"time", "level", "logger", "message", ...}` plus
the fields the code attached (`extra=`): a decision or deploy carries `environment`,
`feature` and `revision`, so a log pipeline can filter by them.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

__all__ = ["JsonFormatter", "configure_logging"]

# The attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                document[key] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str, ensure_ascii=False)


def configure_logging(log_format: str, verbose: bool) -> None:
    """Replace the root handler: INFO (DEBUG when verbose) on stderr, as `log_format` says."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # Noise at INFO: every request line, every HTTP connection of the registry client.
    for name in ("uvicorn.access", "urllib3", "watchfiles"):
        logging.getLogger(name).setLevel(logging.WARNING)

"""Log lines say what they are about: the fields the code attached, in text and JSON alike."""

from __future__ import annotations

import json
import logging

from fasit.cli._logs import JsonFormatter, TextFormatter


def record(**fields: object) -> logging.LogRecord:
    made = logging.makeLogRecord(
        {"name": "fasit.reconcile", "msg": "deploy failed: install %s", "args": ("0.3.0",)}
    )
    made.__dict__.update(fields)
    return made


def test_a_text_line_carries_the_fields_as_key_value() -> None:
    line = TextFormatter().format(record(environment="acme/staging", feature="naisd"))

    assert line.endswith("deploy failed: install 0.3.0 environment=acme/staging feature=naisd")


def test_a_text_field_with_spaces_is_quoted() -> None:
    line = TextFormatter().format(record(reason="agent gone away"))

    assert line.endswith('reason="agent gone away"')


def test_uvicorns_coloured_copy_of_the_message_is_dropped() -> None:
    coloured = record(color_message="\x1b[32mdeploy failed\x1b[0m", environment="acme/dev")

    assert "\x1b" not in TextFormatter().format(coloured)
    assert "color_message" not in json.loads(JsonFormatter().format(coloured))

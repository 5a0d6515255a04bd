"""Decisions are logged once per environment, reason and message: an agent that has never
connected is one line naming its features, not one line per release."""

from __future__ import annotations

import logging

import pytest

from fasit.reconcile import Reason
from tests import states
from tests.integration.reconcile.support import Fleet


async def test_one_offline_environment_is_one_log_line_naming_its_features(
    fleet: Fleet, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fasit.reconcile")
    fleet.publish(
        states.environment("nav", "dev"),
        *(part for name in ("web", "cache", "queue") for part in _everywhere(name)),
    )

    await fleet.until_decided("nav/dev", "web", lambda d: d.reason is Reason.AGENT_OFFLINE)

    offline = [r for r in caplog.records if r.getMessage().startswith("decision agent-offline")]
    assert [(r.__dict__["environment"], r.__dict__["feature"]) for r in offline] == [
        ("nav/dev", "cache,queue,web")
    ]


def _everywhere(feature: str) -> list[dict[str, str]]:
    return [
        states.feature(feature),
        states.chart(feature, "1.0.0"),
        states.assignment(feature, "1.0.0", {}, file=f"assignments/{feature}.yaml"),
    ]

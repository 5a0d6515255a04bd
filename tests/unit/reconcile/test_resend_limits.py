"""The serial limit (one instruction at a time per environment) does not hold back the resend
of the very instruction it counts as in flight: one an ended session never acknowledged."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fasit.reconcile import DeployState, Reason
from tests import states
from tests.unit.reconcile.support import NOW
from tests.unit.reconcile.test_waves import Fleet


def test_an_unacknowledged_instruction_is_resent_at_once_under_the_serial_limit(
    tmp_path: Path,
) -> None:
    fleet = Fleet(tmp_path)  # default limits: one instruction at a time per environment
    fleet.take(
        states.state(
            states.environment("nav", "dev"),
            states.feature("web"),
            states.chart("web", "1.0.0"),
            states.assignment("web", "1.0.0", {}),
        )
    )
    fleet.connect("nav/dev")  # session s-1; the instruction went to s-0, which ended
    fleet.finished("nav/dev", DeployState.SENT, NOW - timedelta(seconds=5), session="s-0")

    reason, message = fleet.decide()[("nav/dev", "web")]

    assert reason is Reason.DEPLOY
    assert message.startswith("resending ")

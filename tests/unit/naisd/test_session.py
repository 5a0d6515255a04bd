"""The agent's session moves through its states by a table: every allowed step, every refusal."""

from __future__ import annotations

import itertools

import pytest

from naisd.session import SessionEvent, SessionState, next_state

S, E = SessionState, SessionEvent

ALLOWED = [
    pytest.param(S.DISCONNECTED, E.DIALED, S.HELLO_SENT, id="a dial sends Hello first"),
    pytest.param(S.HELLO_SENT, E.WELCOMED, S.SERVING, id="the Welcome starts serving"),
    pytest.param(S.SERVING, E.WELCOMED, S.SERVING, id="a second Welcome serves on"),
    pytest.param(S.HELLO_SENT, E.HALF_CLOSED, S.DRAINING, id="a stop before the Welcome drains"),
    pytest.param(S.SERVING, E.HALF_CLOSED, S.DRAINING, id="a stop while serving drains"),
    pytest.param(S.DRAINING, E.WELCOMED, S.DRAINING, id="a late Welcome does not undo a stop"),
    pytest.param(S.HELLO_SENT, E.ENDED, S.DISCONNECTED, id="refused before the Welcome"),
    pytest.param(S.SERVING, E.ENDED, S.DISCONNECTED, id="a cut while serving"),
    pytest.param(S.DRAINING, E.ENDED, S.DISCONNECTED, id="the controller confirmed the last"),
]


@pytest.mark.parametrize(("state", "event", "after"), ALLOWED)
def test_an_allowed_event_moves_the_session(
    state: SessionState, event: SessionEvent, after: SessionState
) -> None:
    assert next_state(state, event) is after


REFUSED = sorted(
    set(itertools.product(SessionState, SessionEvent))
    - {(p.values[0], p.values[1]) for p in ALLOWED}
)


@pytest.mark.parametrize(("state", "event"), REFUSED, ids=lambda v: str(v))
def test_any_other_event_is_a_bug(state: SessionState, event: SessionEvent) -> None:
    with pytest.raises(RuntimeError, match=f"a session {state} cannot be {event}"):
        next_state(state, event)

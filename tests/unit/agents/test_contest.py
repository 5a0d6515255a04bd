"""Contest: swaps of one environment's session counted in a window, refusals that grow."""

from __future__ import annotations

from fasit.agents import ContestPolicy
from fasit.agents.contest import Contest

POLICY = ContestPolicy(limit=3, window=10.0, initial=10.0, maximum=40.0)


def test_swaps_spread_wider_than_the_window_never_contest() -> None:
    contest = Contest(POLICY)

    assert [contest.swapped(at) for at in (0.0, 6.0, 12.0, 18.0, 24.0)] == [False] * 5
    assert contest.refuse() is None


def test_the_swap_that_reaches_the_limit_within_the_window_contests_once() -> None:
    contest = Contest(POLICY)

    assert [contest.swapped(at) for at in (0.0, 0.4, 0.9, 1.3)] == [False, False, True, False]


def test_each_refusal_asks_for_twice_the_wait_up_to_the_maximum() -> None:
    contest = Contest(POLICY)
    for at in (0.0, 0.4, 0.9):
        contest.swapped(at)

    assert [contest.refuse() for _ in range(4)] == [10.0, 20.0, 40.0, 40.0]


def test_the_live_session_ending_ends_the_contest() -> None:
    contest = Contest(POLICY)
    for at in (0.0, 0.4, 0.9):
        contest.swapped(at)
    contest.refuse()

    contest.ended()

    assert contest.refuse() is None
    assert [contest.swapped(at) for at in (1.0, 1.1, 1.2)] == [False, False, True]
    assert contest.refuse() == 10.0

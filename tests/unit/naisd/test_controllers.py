"""Which controller naisd dials next: its addresses in turn, a redirect at once (once)."""

from __future__ import annotations

import pytest

from naisd.controllers import Controllers, parse_controllers


def test_several_addresses_are_comma_separated() -> None:
    assert parse_controllers("a:9090,[::1]:9091, b.example:443") == (
        "a:9090",
        "[::1]:9091",
        "b.example:443",
    )


@pytest.mark.parametrize("text", ["a", "a:0", "a:70000", "a:9090,", "a b:1"])
def test_a_bad_address_is_named(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected HOST:PORT"):
        parse_controllers(text)


def test_a_failed_dial_moves_to_the_next_address_at_once() -> None:
    controllers = Controllers(("a:1", "b:1", "c:1"))

    assert controllers.next(welcomed=False) is True
    assert controllers.current == "b:1"


def test_a_whole_round_of_failed_dials_waits_the_backoff() -> None:
    controllers = Controllers(("a:1", "b:1", "c:1"))

    rounds = [controllers.next(welcomed=False) for _ in range(6)]

    assert rounds == [True, True, False, True, True, False]
    assert controllers.current == "a:1"


def test_a_served_session_that_ends_dials_the_same_controller_again() -> None:
    controllers = Controllers(("a:1", "b:1"))

    controllers.next(welcomed=True)

    assert controllers.current == "a:1"


def test_a_redirect_is_followed_at_once() -> None:
    controllers = Controllers(("a:1", "b:1"))
    controllers.redirected("c:1")

    assert controllers.next(welcomed=False) is True
    assert controllers.current == "c:1"


def test_redirects_that_keep_bouncing_wait_the_backoff() -> None:
    controllers = Controllers(("a:1",))
    controllers.redirected("b:1")
    controllers.next(welcomed=False)
    controllers.redirected("c:1")

    assert controllers.next(welcomed=False) is False
    assert controllers.current == "c:1"


def test_a_served_session_makes_the_next_redirect_immediate_again() -> None:
    controllers = Controllers(("a:1",))
    controllers.redirected("b:1")
    controllers.next(welcomed=False)
    controllers.redirected("c:1")

    assert controllers.next(welcomed=True) is True

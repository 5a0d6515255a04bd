"""Signed cookies: what one holds comes back only unchanged, with the same key, for the same
purpose; the cookie's attributes."""

from __future__ import annotations

import pytest

from fasit.web import CookiePolicy
from fasit.web.session import seal, unseal

KEY = b"k" * 32
CONTENT = {"sub": "ola", "groups": ["nav-developers"], "exp": 2_000_000_000}


def test_a_sealed_value_unseals_to_what_it_holds() -> None:
    assert unseal(KEY, "session", seal(KEY, "session", CONTENT)) == CONTENT


@pytest.mark.parametrize(
    "spoiled",
    [
        pytest.param(lambda v: "x" + v, id="the content changed"),
        pytest.param(lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"), id="the mac"),
        pytest.param(lambda v: v.partition(".")[0], id="no mac"),
        pytest.param(lambda v: "", id="empty"),
        pytest.param(lambda v: "%%%.@@@", id="not base64"),
        pytest.param(lambda v: v + "A" * 5000, id="too long"),
    ],
)
def test_a_changed_value_unseals_to_nothing(spoiled: object) -> None:
    value = seal(KEY, "session", CONTENT)

    assert unseal(KEY, "session", spoiled(value)) is None  # type: ignore[operator]


def test_another_key_or_purpose_unseals_to_nothing() -> None:
    value = seal(KEY, "attempt", CONTENT)

    assert unseal(b"o" * 32, "attempt", value) is None
    assert unseal(KEY, "session", value) is None


@pytest.mark.parametrize(
    ("secure", "header"),
    [
        pytest.param(
            True,
            "fasit_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure",
            id="secure",
        ),
        pytest.param(
            False,
            "fasit_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax",
            id="plain http on loopback",
        ),
    ],
)
def test_a_cookie_is_http_only_and_same_site_lax(secure: bool, header: str) -> None:
    assert CookiePolicy(secure).header("fasit_session", "v", 60) == header

"""The Bearer challenge of a registry, read from its WWW-Authenticate header."""

from __future__ import annotations

import pytest

from fasit.charts.registry_token import BearerChallenge, parse_bearer_challenge


def test_a_challenge_names_its_realm_service_and_scope() -> None:
    header = 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"'

    assert parse_bearer_challenge(header) == BearerChallenge(
        "https://ghcr.io/token", "ghcr.io", "repository:a/b:pull"
    )


def test_a_scope_may_hold_commas_and_escaped_quotes() -> None:
    header = r'bearer scope="repository:a:pull,push",realm="https://r.example/t?x=\"y\""'

    assert parse_bearer_challenge(header) == BearerChallenge(
        'https://r.example/t?x="y"', "", "repository:a:pull,push"
    )


@pytest.mark.parametrize(
    "header",
    [
        pytest.param('Basic realm="registry"', id="another scheme"),
        pytest.param('Bearer service="ghcr.io"', id="no realm"),
        pytest.param('Bearer realm="file:///etc/passwd"', id="a realm that is no http URL"),
        pytest.param("", id="no header at all"),
    ],
)
def test_what_is_no_usable_bearer_challenge_is_none(header: str) -> None:
    assert parse_bearer_challenge(header) is None

"""The OpenID provider of the sign-in tests, one per module (provider.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.oidc.provider import OpenIdProvider, install


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIdProvider]:
    with OpenIdProvider(install()) as started:
        yield started

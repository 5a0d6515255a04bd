"""ID token verification over keys made here (joserfc signs, as a provider would): what is
accepted, and what each refusal says; discovery's metadata; PKCE's challenge."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from fasit.web import OidcSettings, ProviderUnavailable, SignInRefused
from fasit.web.oidc import (
    Identity,
    ProviderMetadata,
    code_challenge,
    end_session_url,
    verify_id_token,
)
from fasit.web.signin import local_path

ISSUER = "https://idp.example"
SETTINGS = OidcSettings(ISSUER, "fasit", "https://fasit.example/auth/callback")
NOW = 1_800_000_000
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER = RSAKey.generate_key(2048, parameters={"kid": "k1"})
KEYS = KeySet([KEY])


def token(key: RSAKey = KEY, alg: str = "RS256", **changes: Any) -> str:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": "fasit",
        "sub": "u-1",
        "exp": NOW + 300,
        "iat": NOW,
        "nonce": "n-1",
        "email": "ola@nav.example",
        "groups": ["nav-developers"],
    }
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": alg, "kid": "k1"}, claims, key)


def verify(text: str, nonce: str = "n-1", now: int = NOW) -> Identity:
    return verify_id_token(text, KEYS, SETTINGS, nonce=nonce, now=now)


def test_a_good_token_gives_who_signed_in() -> None:
    assert verify(token()) == Identity("u-1", "ola@nav.example", ("nav-developers",))


def test_an_unverified_email_is_not_used() -> None:
    assert verify(token(email_verified=False)).email is None


@pytest.mark.parametrize(
    ("text", "nonce", "now", "said"),
    [
        pytest.param(token(OTHER), "n-1", NOW, "signature is not the provider's", id="forged"),
        pytest.param(token(), "n-1", NOW + 301 + 60, "has expired", id="expired"),
        pytest.param(token(), "n-2", NOW, "nonce mismatch", id="another nonce"),
        pytest.param(token(nonce=None), "n-1", NOW, "has no nonce claim", id="no nonce"),
        pytest.param(token(aud="other"), "n-1", NOW, "another client (aud)", id="audience"),
        pytest.param(token(iss="https://x"), "n-1", NOW, "another provider (iss)", id="issuer"),
        pytest.param(token(exp=None), "n-1", NOW, "has no exp claim", id="no expiry"),
        pytest.param(token(nbf=NOW + 3600), "n-1", NOW, "not valid yet", id="not yet"),
        pytest.param("not.a.token", "n-1", NOW, "cannot be read", id="not a JWT"),
        pytest.param(
            token(aud=["fasit", "other"]), "n-1", NOW, "another client (azp)", id="azp missing"
        ),
    ],
)
def test_a_token_that_is_not_right_is_refused_saying_why(
    text: str, nonce: str, now: int, said: str
) -> None:
    with pytest.raises(SignInRefused, match=re.escape(said)) as raised:
        verify(text, nonce, now)

    assert "eyJ" not in str(raised.value)


def test_a_token_signed_with_hmac_over_the_public_key_is_refused() -> None:
    # The old confusion: HS256 keyed with the provider's (public) key, made by hand since
    # joserfc will not make such a key.
    header = _b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    body = _b64(json.dumps({"iss": ISSUER, "aud": "fasit", "sub": "x", "nonce": "n-1"}).encode())
    mac = hmac.new(KEY.as_pem(private=False), f"{header}.{body}".encode(), hashlib.sha256)
    forged = f"{header}.{body}.{_b64(mac.digest())}"

    with pytest.raises(SignInRefused):
        verify(forged)


def test_discovery_must_name_the_configured_issuer() -> None:
    document = {
        "issuer": "https://elsewhere.example",
        "authorization_endpoint": "https://idp.example/auth",
        "token_endpoint": "https://idp.example/token",
        "jwks_uri": "https://idp.example/keys",
    }

    with pytest.raises(
        ProviderUnavailable, match=re.escape("names issuer 'https://elsewhere.example'")
    ):
        ProviderMetadata.parse(ISSUER, document)


def test_the_pkce_challenge_is_rfc_7636s_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        pytest.param("/features?tenant=nav", "/features?tenant=nav", id="a local path"),
        pytest.param("//evil.example/x", "/", id="a scheme-relative URL"),
        pytest.param("https://evil.example", "/", id="an absolute URL"),
        pytest.param("/\\evil.example", "/", id="a backslash"),
    ],
)
def test_sign_in_only_ever_returns_to_this_server(given: str, kept: str) -> None:
    assert local_path(given) == kept


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


SIGNING_OUT = OidcSettings(
    ISSUER,
    "fasit",
    "https://fasit.example/auth/callback",
    "",
    "https://fasit.example/auth/signed-out",
)


def _metadata(end_session_endpoint: str | None) -> ProviderMetadata:
    return ProviderMetadata(
        ISSUER, f"{ISSUER}/authorize", f"{ISSUER}/token", f"{ISSUER}/jwks", end_session_endpoint
    )


def test_sign_out_at_the_provider_names_this_client_and_the_way_back() -> None:
    url = end_session_url(_metadata(f"{ISSUER}/logout?tenant=x"), SIGNING_OUT)

    assert url == (
        "https://idp.example/logout?tenant=x&client_id=fasit"
        "&post_logout_redirect_uri=https%3A%2F%2Ffasit.example%2Fauth%2Fsigned-out"
    )


def test_no_sign_out_at_a_provider_that_offers_none() -> None:
    assert end_session_url(_metadata(None), SIGNING_OUT) is None


def test_no_sign_out_at_the_provider_unless_asked() -> None:
    assert end_session_url(_metadata(f"{ISSUER}/logout"), SETTINGS) is None

"""OpenID Connect, the relying party's side: discovery, the provider's keys, the authorization
request with PKCE, the code exchange and the ID token's verification.

`fasit.web.signin` calls it from `/auth/login` and `/auth/callback`. The JOSE work (the
signature, the claims) is joserfc's; this module picks what to ask and what to accept. The
provider's metadata and keys are fetched once and kept; the keys are fetched again when a
token names a key id they do not hold (the provider rotated its keys). It never logs a token,
a code, a verifier or the client secret.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlencode

import requests
from joserfc import errors as jose_errors
from joserfc import jws, jwt
from joserfc.jwk import KeySet

from fasit.errors import InvalidInput, RetryableError

__all__ = [
    "SIGNING_ALGORITHMS",
    "Identity",
    "OidcSettings",
    "OpenIdProvider",
    "ProviderMetadata",
    "ProviderUnavailable",
    "SignInRefused",
    "code_challenge",
    "new_secret",
    "verify_id_token",
]

logger = logging.getLogger(__name__)

SIGNING_ALGORITHMS: Final = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
"""ID token signatures fasit accepts: public-key ones only (never `none`, never an HMAC that
would take the provider's public key for a shared secret)."""
LEEWAY_SECONDS: Final = 60
"""Clock skew allowed between the provider and this server for `exp`, `iat` and `nbf`."""
SCOPE: Final = "openid email profile"
_TIMEOUT = 10.0
_MAX_ANSWER = 1 << 20


class SignInRefused(InvalidInput):
    """A sign-in that cannot be trusted; the message says why, never quoting a token."""


class ProviderUnavailable(RetryableError):
    """The OpenID provider did not answer as it should (discovery, keys, the code exchange)."""


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """`--oidc-issuer`, `--oidc-client-id`, the client secret and where the provider sends the
    browser back (`--external-url` + /auth/callback)."""

    issuer: str
    client_id: str
    redirect_uri: str
    client_secret: str = field(default="", repr=False)
    """Empty: a public client (PKCE alone)."""
    post_logout_redirect_uri: str = ""
    """Where the provider sends the browser after signing it out there
    (`--oidc-sign-out-at-provider`: `--external-url` + /auth/signed-out); empty: signing out
    ends the session with fasit only."""


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """What discovery says (`/.well-known/openid-configuration`), of what fasit uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None = None

    @classmethod
    def parse(cls, issuer: str, document: Mapping[str, object]) -> ProviderMetadata:
        """Raise ProviderUnavailable when a field is missing or the issuer is not `issuer`
        (OpenID Connect Discovery 1.0, section 4.3)."""
        fields: dict[str, str] = {}
        for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str) or not value:
                raise ProviderUnavailable(f"the provider's discovery document has no {name}")
            fields[name] = value
        if fields["issuer"] != issuer:
            raise ProviderUnavailable(
                f"the provider's discovery document names issuer {fields['issuer']!r},"
                f" not {issuer!r} (--oidc-issuer must be exactly the provider's issuer)"
            )
        end = document.get("end_session_endpoint")
        return cls(**fields, end_session_endpoint=end if isinstance(end, str) else None)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who signed in: the ID token's subject, email (when verified) and groups."""

    subject: str
    email: str | None
    groups: tuple[str, ...]

    @property
    def name(self) -> str:
        """What the dashboard calls this person."""
        return self.email or self.subject


def new_secret() -> str:
    """A state, nonce or PKCE verifier: 43 URL-safe characters (256 bits)."""
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    """The PKCE S256 challenge of `verifier` (RFC 7636, section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify_id_token(
    token: str, keys: KeySet, settings: OidcSettings, *, nonce: str, now: int
) -> Identity:
    """The identity in an ID token whose signature (by one of `keys`), issuer, audience,
    expiry and nonce are right; SignInRefused naming the first that is not."""
    try:
        decoded = jwt.decode(token, keys, algorithms=list(SIGNING_ALGORITHMS))
    except jose_errors.BadSignatureError:
        raise SignInRefused("the ID token's signature is not the provider's") from None
    except jose_errors.InvalidKeyIdError:
        raise SignInRefused(
            "the ID token is signed with a key the provider does not publish"
        ) from None
    except (jose_errors.JoseError, ValueError) as exc:
        raise SignInRefused(f"the ID token cannot be read ({type(exc).__name__})") from None
    claims = decoded.claims
    registry = jwt.JWTClaimsRegistry(
        now=now,
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": settings.issuer},
        aud={"essential": True, "value": settings.client_id},
        exp={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except jose_errors.ExpiredTokenError:
        raise SignInRefused("the ID token has expired") from None
    except jose_errors.MissingClaimError as exc:
        raise SignInRefused(f"the ID token has no {exc.claim} claim") from None
    except jose_errors.ClaimError as exc:
        raise SignInRefused(_claim_refused(exc.claim)) from None
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != settings.client_id:
        raise SignInRefused("the ID token was issued to another client (azp)")
    return _identity(claims)


def _claim_refused(claim: str) -> str:
    return {
        "iss": "the ID token was issued by another provider (iss)",
        "aud": "the ID token was issued to another client (aud)",
        "nonce": "the ID token answers another sign-in (nonce mismatch)",
        "nbf": "the ID token is not valid yet (nbf)",
        "iat": "the ID token is issued in the future (iat)",
    }.get(claim, f"the ID token's {claim} claim is not valid")


def _identity(claims: Mapping[str, object]) -> Identity:
    email = claims.get("email")
    verified = claims.get("email_verified", True) is not False
    groups = claims.get("groups")
    return Identity(
        subject=str(claims["sub"]),
        email=email if isinstance(email, str) and verified else None,
        groups=tuple(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else (),
    )


class OpenIdProvider:
    """The provider at `settings.issuer`: its metadata and keys (fetched when first needed,
    then kept), the authorization URL, and the code exchange."""

    def __init__(self, settings: OidcSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock = clock
        self._metadata: ProviderMetadata | None = None
        self._keys: KeySet | None = None
        self._fetching = asyncio.Lock()

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is None:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            document = await _get_json(url, "discovery")
            self._metadata = ProviderMetadata.parse(self.settings.issuer, document)
        return self._metadata

    async def authorization_url(self, *, state: str, nonce: str, verifier: str) -> str:
        metadata = await self.metadata()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.client_id,
                "redirect_uri": self.settings.redirect_uri,
                "scope": SCOPE,
                "state": state,
                "nonce": nonce,
                "code_challenge": code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        return _with_query(metadata.authorization_endpoint, query)

    async def end_session_url(self) -> str | None:
        """Where a browser signs out at the provider too (OpenID Connect RP-Initiated Logout
        1.0), then comes back; None when that is not asked for or the provider offers none."""
        if not self.settings.post_logout_redirect_uri:
            return None  # not asked for: no need to ask the provider anything
        return end_session_url(await self.metadata(), self.settings)

    async def sign_in(self, code: str, *, verifier: str, nonce: str) -> Identity:
        """Exchange `code` for an ID token and verify it; SignInRefused or ProviderUnavailable."""
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": verifier,
        }
        auth = None
        if self.settings.client_secret:
            auth = (self.settings.client_id, self.settings.client_secret)
        else:
            form["client_id"] = self.settings.client_id
        answer = await _post_form(metadata.token_endpoint, form, auth)
        token = answer.get("id_token")
        if not isinstance(token, str):
            raise SignInRefused("the provider's token answer holds no ID token")
        keys = await self._keys_for(token)
        now = int(self._clock())
        return verify_id_token(token, keys, self.settings, nonce=nonce, now=now)

    async def _keys_for(self, token: str) -> KeySet:
        """The provider's keys, fetched again when `token` names a key id they lack."""
        kid = _key_id(token)
        async with self._fetching:  # one fetch at a time, whoever waits reuses it
            if self._keys is None or (kid is not None and not _holds(self._keys, kid)):
                metadata = await self.metadata()
                document = await _get_json(metadata.jwks_uri, "keys")
                try:
                    self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
                except (jose_errors.JoseError, ValueError, KeyError, TypeError) as exc:
                    raise ProviderUnavailable(
                        f"the provider's keys ({metadata.jwks_uri}) cannot be read"
                    ) from exc
                logger.info("OpenID provider keys fetched", extra={"keys": len(self._keys.keys)})
            return self._keys


def end_session_url(metadata: ProviderMetadata, settings: OidcSettings) -> str | None:
    """The provider's end-session URL for this dashboard, sending the browser back to
    `settings.post_logout_redirect_uri`; None when that is empty or the provider has none."""
    back = settings.post_logout_redirect_uri
    endpoint = metadata.end_session_endpoint
    if not back or endpoint is None:
        return None
    # No id_token_hint: the session cookie never holds a token. The client id names this
    # dashboard so the provider can check the redirect against its registration.
    query = urlencode({"client_id": settings.client_id, "post_logout_redirect_uri": back})
    return _with_query(endpoint, query)


def _with_query(endpoint: str, query: str) -> str:
    """`endpoint` with `query` added to what it may carry already."""
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _key_id(token: str) -> str | None:
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (jose_errors.JoseError, ValueError):
        return None
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def _holds(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


async def _get_json(url: str, what: str) -> dict[str, object]:
    return await asyncio.to_thread(_exchange, "GET", url, what, None, None)


async def _post_form(
    url: str, form: dict[str, str], auth: tuple[str, str] | None
) -> dict[str, object]:
    return await asyncio.to_thread(_exchange, "POST", url, "code exchange", form, auth)


def _exchange(
    method: str,
    url: str,
    what: str,
    form: dict[str, str] | None,
    auth: tuple[str, str] | None,
) -> dict[str, object]:
    """One request to the provider, its JSON answer bounded; ProviderUnavailable otherwise."""
    try:
        with requests.request(
            method,
            url,
            data=form,
            auth=auth,
            timeout=_TIMEOUT,
            stream=True,
            allow_redirects=False,
            headers={"Accept": "application/json"},
        ) as response:
            body = response.raw.read(_MAX_ANSWER + 1, decode_content=True)
            status = response.status_code
    except requests.RequestException as exc:
        raise ProviderUnavailable(
            f"the OpenID provider did not answer ({what}: {type(exc).__name__})"
        ) from None
    if len(body) > _MAX_ANSWER:
        raise ProviderUnavailable(f"the OpenID provider's answer ({what}) is too large")
    if status == 400 and what == "code exchange":
        raise SignInRefused("the provider refused the code (used already, or expired)")
    if status != 200:
        raise ProviderUnavailable(f"the OpenID provider answered {status} ({what})")
    try:
        document = json.loads(body)
    except ValueError:
        raise ProviderUnavailable(f"the OpenID provider's answer ({what}) is not JSON") from None
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"the OpenID provider's answer ({what}) is not a JSON object")
    return document

"""Sign-in with OpenID Connect: `/auth/login`, `/auth/callback`, `/auth/logout`, and the
session cookie as an `Authenticator` (`fasit.web.auth`).

`/auth/login` starts an attempt (state, nonce and PKCE verifier in a signed cookie that lives
ten minutes) and sends the browser to the provider; `/auth/callback` checks the state, has
`fasit.web.oidc` exchange the code and verify the ID token, and sets the session cookie: who
signed in (subject, email, groups), never a token. Each request then finds its tenants through
the access file as it is now, so an edit of that file applies to sessions already open.
Refusals are pages that say what went wrong, never what the provider sent.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Callable
from typing import Final
from urllib.parse import quote

from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fasit.web.access_file import AccessFile
from fasit.web.dashboard import error_response, page_response
from fasit.web.oidc import (
    Identity,
    OidcSettings,
    OpenIdProvider,
    ProviderUnavailable,
    SignInRefused,
    new_secret,
)
from fasit.web.session import CookiePolicy, seal, unseal
from fasit.web.viewer import Viewer

__all__ = [
    "ATTEMPT_COOKIE",
    "ATTEMPT_SECONDS",
    "CALLBACK_PATH",
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "SIGNED_OUT_PATH",
    "SIGN_IN_PATH",
    "SIGN_IN_PREFIX",
    "SignIn",
]

logger = logging.getLogger(__name__)

SIGN_IN_PREFIX: Final = "/auth/"
SIGN_IN_PATH: Final = "/auth/login"
CALLBACK_PATH: Final = "/auth/callback"
SIGN_OUT_PATH: Final = "/auth/logout"
SIGNED_OUT_PATH: Final = "/auth/signed-out"
SESSION_COOKIE: Final = "fasit_session"
ATTEMPT_COOKIE: Final = "fasit_signin"
SESSION_SECONDS: Final = 8 * 3600
"""A session lasts this long from sign-in (a working day); then the browser signs in again."""
ATTEMPT_SECONDS: Final = 600
"""A sign-in must come back from the provider within this long."""
MAX_SESSION_COOKIE: Final = 3800
"""A session cookie's value, at most (browsers keep 4,096 bytes with the name and attributes)."""
_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")


class SignIn:
    """The sign-in routes and the session cookie's viewer."""

    def __init__(
        self,
        provider: OpenIdProvider,
        access: AccessFile,
        key: bytes,
        cookies: CookiePolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider = provider
        self.access = access
        self._key = key
        self.cookies = cookies
        self._clock = clock

    prefix: Final = SIGN_IN_PREFIX

    def url_for(self, path: str) -> str:
        """Where a browser without a session goes: sign-in, then back to `path`."""
        return f"{SIGN_IN_PATH}?next={quote(path, safe='')}"

    def routes(self) -> list[Route]:
        return [
            Route(SIGN_IN_PATH, self.login),
            Route(CALLBACK_PATH, self.callback),
            Route(SIGN_OUT_PATH, self.logout),
            Route(SIGNED_OUT_PATH, self.signed_out),
        ]

    # The Authenticator seam

    def has_credentials(self, connection: HTTPConnection) -> bool:
        return SESSION_COOKIE in connection.cookies

    async def viewer(self, connection: HTTPConnection) -> Viewer | None:
        content = unseal(self._key, "session", connection.cookies.get(SESSION_COOKIE, ""))
        if content is None or not self._unexpired(content):
            return None
        email = content.get("email")
        groups = content.get("groups")
        identity = Identity(
            subject=str(content.get("sub", "")),
            email=email if isinstance(email, str) else None,
            groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
        )
        tenants = await self.access.tenants_of(identity.email, identity.groups)
        return Viewer(identity.name, tenants)

    # The routes

    async def login(self, request: Request) -> Response:
        state, nonce, verifier = new_secret(), new_secret(), new_secret()
        try:
            url = await self.provider.authorization_url(state=state, nonce=nonce, verifier=verifier)
        except ProviderUnavailable as exc:
            return error_response(request, f"502: cannot sign in now: {exc}", 502)
        attempt = {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "next": local_path(request.query_params.get("next", "/")),
            "exp": int(self._clock()) + ATTEMPT_SECONDS,
        }
        response = RedirectResponse(url, status_code=303)
        self._set(response, ATTEMPT_COOKIE, seal(self._key, "attempt", attempt), ATTEMPT_SECONDS)
        return response

    async def callback(self, request: Request) -> Response:
        attempt = unseal(self._key, "attempt", request.cookies.get(ATTEMPT_COOKIE, ""))
        try:
            identity, after = await self._finish(request, attempt)
        except SignInRefused as exc:
            logger.warning("sign-in refused", extra={"reason": str(exc)})
            response = error_response(request, f"Sign-in refused: {exc}.", 401)
            self._set(response, ATTEMPT_COOKIE, "", 0)
            return response
        except ProviderUnavailable as exc:
            logger.warning("sign-in failed: the provider did not answer", extra={"why": str(exc)})
            return error_response(request, f"502: cannot sign in now: {exc}", 502)
        logger.info("signed in", extra={"user": identity.name})
        session: dict[str, object] = {
            "sub": identity.subject,
            "email": identity.email,
            "groups": list(identity.groups),
            "exp": int(self._clock()) + SESSION_SECONDS,
        }
        sealed = seal(self._key, "session", session)
        if len(sealed) > MAX_SESSION_COOKIE:
            # A provider may list hundreds of groups; a browser keeps 4 KB a cookie. Only the
            # groups the access file names now are kept (a group added later counts from the
            # next sign-in).
            session["groups"] = await self.access.named(identity.groups)
            sealed = seal(self._key, "session", session)
        response = RedirectResponse(after, status_code=303)
        self._set(response, SESSION_COOKIE, sealed, SESSION_SECONDS)
        self._set(response, ATTEMPT_COOKIE, "", 0)
        return response

    async def logout(self, request: Request) -> Response:
        """End the session here; with `--oidc-sign-out-at-provider`, at the provider too."""
        try:
            at_provider = await self.provider.end_session_url()
        except ProviderUnavailable as exc:
            logger.warning(
                "signed out here only: the provider did not answer", extra={"why": str(exc)}
            )
            at_provider, unavailable = None, True
        else:
            unavailable = False
        if at_provider is not None:
            response: Response = RedirectResponse(at_provider, status_code=303)
        else:
            still = _still_signed_in(self.provider.settings, unavailable)
            response = page_response(
                request, "signed_out.html", 200, sign_in=SIGN_IN_PATH, still=still
            )
        self._set(response, SESSION_COOKIE, "", 0)
        return response

    async def signed_out(self, request: Request) -> Response:
        """Where the provider sends the browser back after signing it out there."""
        response = page_response(request, "signed_out.html", 200, sign_in=SIGN_IN_PATH, still="")
        self._set(response, SESSION_COOKIE, "", 0)
        return response

    async def _finish(
        self, request: Request, attempt: dict[str, object] | None
    ) -> tuple[Identity, str]:
        """The identity the callback brings, and where to go next; SignInRefused otherwise."""
        error = request.query_params.get("error")
        if error is not None:
            said = error if _ERROR_CODE.match(error) else "an unknown error"
            raise SignInRefused(f"the provider answered {said}")
        if attempt is None or not self._unexpired(attempt):
            raise SignInRefused(
                "this browser did not start this sign-in, or it took longer than"
                f" {ATTEMPT_SECONDS // 60} minutes; sign in again"
            )
        given = request.query_params.get("state", "")
        if not hmac.compare_digest(given.encode(), str(attempt.get("state")).encode()):
            raise SignInRefused(
                "the callback's state does not match the sign-in this browser started"
                " (a forged or replayed callback)"
            )
        code = request.query_params.get("code")
        if not code:
            raise SignInRefused("the callback carries no authorization code")
        identity = await self.provider.sign_in(
            code, verifier=str(attempt.get("verifier")), nonce=str(attempt.get("nonce"))
        )
        return identity, local_path(str(attempt.get("next", "/")))

    def _unexpired(self, content: dict[str, object]) -> bool:
        expiry = content.get("exp")
        return isinstance(expiry, int) and self._clock() < expiry

    def _set(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.headers.append("set-cookie", self.cookies.header(name, value, max_age))


def _still_signed_in(settings: OidcSettings, unavailable: bool) -> str:
    """What the signed-out page says of the session at the provider, which outlives fasit's."""
    where = (
        f"You may still be signed in at {settings.issuer}, so signing in again may go"
        " straight through"
    )
    if unavailable:
        return f"{where}: it did not answer when asked to sign you out there too."
    if settings.post_logout_redirect_uri:
        return f"{where}: it offers no sign-out (its discovery names no end_session_endpoint)."
    return f"{where}."


def local_path(text: str) -> str:
    """`text` when it is a path on this server, else `/`: sign-in never sends a browser away.

    >>> local_path("/features?tenant=nav"), local_path("//evil.example"), local_path("https://x")
    ('/features?tenant=nav', '/', '/')
    """
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return "/"
    return text

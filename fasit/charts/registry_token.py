"""The distribution token flow: a registry's Bearer challenge answered with a token.

A registry that wants tokens (ghcr.io, Harbor, Docker Hub) answers 401 with
`WWW-Authenticate: Bearer realm="…",service="…",scope="…"`; the client asks the realm for a
token (`GET realm?service=…&scope=…`, with basic auth when it has credentials, anonymously
otherwise) and sends it as `Authorization: Bearer`. `registry.py` calls this on its own
session (timeouts and TLS trust included); this module never retries and keeps no token.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Final

import requests

from fasit.charts.registry_errors import RegistryError, RegistryFailure, status_failed
from fasit.model import OciChart

__all__ = ["BearerChallenge", "parse_bearer_challenge", "request_token"]

# auth-param = token "=" ( token / quoted-string ), RFC 7235; a scope may hold commas.
_PARAM: Final = re.compile(r'([A-Za-z][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)')
# A token goes into a header: visible ASCII only, and not without end.
_TOKEN: Final = re.compile(r"[\x21-\x7e]{1,16384}")
_MAX_ANSWER: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class BearerChallenge:
    """Where to ask for a token (`realm`, an http(s) URL) and for what (`service`, `scope`)."""

    realm: str
    service: str = ""
    scope: str = ""


def parse_bearer_challenge(header: str) -> BearerChallenge | None:
    """The Bearer challenge in a WWW-Authenticate value, or None when it is none or has no
    http(s) realm.

        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"'
        → BearerChallenge("https://ghcr.io/token", "ghcr.io", "repository:a/b:pull")
    """
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    params: dict[str, str] = {}
    for match in _PARAM.finditer(rest):
        value = match.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params.setdefault(match.group(1).lower(), value)
    realm = params.get("realm", "")
    if not realm.startswith(("https://", "http://")):
        return None
    return BearerChallenge(realm, params.get("service", ""), params.get("scope", ""))


def request_token(
    session: requests.Session,
    chart: OciChart,
    what: str,
    challenge: BearerChallenge,
    basic: str | None,
    *,
    verify: bool | str,
) -> str:
    """A token for `challenge` from its realm, asked with `basic` (base64 "user:password") or
    anonymously; RegistryError when none is given (UNAUTHORIZED), the token service fails
    (SERVER_ERROR for 5xx and 429) or cannot be reached.
    """
    asked = {"service": challenge.service, "scope": challenge.scope}
    params = {key: value for key, value in asked.items() if value}
    headers = {"Accept": "application/json"}
    if basic is not None:
        headers["Authorization"] = f"Basic {basic}"
    with session.get(
        challenge.realm, params=params, headers=headers, verify=verify, stream=True
    ) as response:
        status = response.status_code
        answer = b""
        if status == 200:
            for chunk in response.iter_content(_MAX_ANSWER):
                answer += chunk
                if len(answer) > _MAX_ANSWER:
                    break
    if status == 429 or status >= 500:
        raise status_failed(chart, "the token service's answer", status)
    token = _token_of(answer) if status == 200 and len(answer) <= _MAX_ANSWER else None
    if token is None:
        raise RegistryError(
            RegistryFailure.UNAUTHORIZED,
            f"{chart.registry}: {what} of {chart.repository}: access denied (its token service"
            " gave no token for the credentials configured, or for none)",
        )
    return token


def _token_of(answer: bytes) -> str | None:
    """`token` (or, the older name, `access_token`) of the service's JSON answer."""
    try:
        info = json.loads(answer)
    except ValueError:
        return None
    if not isinstance(info, dict):
        return None
    token = info.get("token") or info.get("access_token")
    return token if isinstance(token, str) and _TOKEN.fullmatch(token) else None

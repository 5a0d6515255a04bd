"""A real OpenID provider for the sign-in tests: oauth2-mock-server under Debian's node.

`install()` puts the locked npm packages (package-lock.json here) in a cache directory outside
the repository, once per lock: `npm ci --offline` from npm's cache when it can, else `npm ci`.
`OpenIdProvider` starts provider.mjs on 127.0.0.1 and stops it; `next_sign_in` says who signs
in next and how the next ID token is spoiled. `sign_in` walks the authorization code flow the
way a browser does (the redirects, the cookies), for tests that need a session but no browser.
"""

from __future__ import annotations

import hashlib
import http.cookies
import json
import os
import select
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.integration.processes import Server

HERE = Path(__file__).parent
FILES = ("package.json", "package-lock.json", "provider.mjs")
START_TIMEOUT = 30.0
INSTALL_TIMEOUT = 300.0
CLIENT_ID = "fasit-dashboard"


def cache_root() -> Path:
    """$FASIT_TEST_CACHE, else ~/.cache/fasit-tests: kept across runs, never in the repo."""
    given = os.environ.get("FASIT_TEST_CACHE")
    return Path(given) if given else Path.home() / ".cache" / "fasit-tests"


def install() -> Path:
    """The directory with provider.mjs and its node_modules, installed from the lock."""
    lock = (HERE / "package-lock.json").read_bytes()
    home = cache_root() / f"oidc-provider-{hashlib.sha256(lock).hexdigest()[:16]}"
    home.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(HERE / name, home / name)
    stamp = home / "node_modules" / ".installed"
    if stamp.exists():
        return home
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise RuntimeError("the sign-in tests need node and npm (Debian's nodejs and npm)")
    offline = _npm(npm, home, "--offline")
    if offline.returncode != 0:
        online = _npm(npm, home)
        if online.returncode != 0:
            raise RuntimeError(f"npm ci failed in {home}:\n{online.stderr[-3000:]}")
    stamp.write_text("installed from package-lock.json\n", encoding="utf-8")
    return home


def _npm(npm: str, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", *extra],
        cwd=home,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )


class OpenIdProvider(Server):
    """provider.mjs as a process: `issuer` once started."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.issuer = ""
        self.control = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        process = self._process = subprocess.Popen(
            ["node", "provider.mjs"],
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
        line = process.stdout.readline() if ready else ""
        try:
            started = json.loads(line)
        except ValueError:
            self.stop()
            raise RuntimeError(f"the OpenID provider did not start: {line!r}") from None
        self.issuer, self.control = started["issuer"], started["control"]

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def next_sign_in(self, claims: dict[str, object], spoil: str = "") -> None:
        """The next ID token carries `claims`; `spoil` is "", "signature", "expired", "nonce",
        "audience" or "issuer"."""
        self._post("/next", {"claims": claims, "spoil": spoil})

    def rotate_keys(self) -> str:
        """Sign from now on with a new key (published beside the old one); its kid."""
        return str(self._post("/rotate", {})["kid"])

    def signed_out(self) -> list[dict[str, object]]:
        """Each sign-out at the provider so far: `client_id`, `post_logout_redirect_uri`."""
        return list(self._post("/signed-out", {})["signed_out"])  # type: ignore[call-overload]

    def _post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        request = urllib.request.Request(
            self.control + path, data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer: dict[str, object] = json.loads(response.read())
            return answer


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _opener(context: ssl.SSLContext | None) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=context))


_OPENER = _opener(None)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    """In lowercase."""
    set_cookies: list[str]
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


def fetch(
    url: str,
    cookies: dict[str, str],
    bearer: str | None = None,
    context: ssl.SSLContext | None = None,
) -> Answer:
    """GET `url` with `cookies` (and a bearer token; over TLS trusting `context`); redirects
    are not followed."""
    request = urllib.request.Request(url)
    if cookies:
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if bearer is not None:
        request.add_header("Authorization", f"Bearer {bearer}")
    try:
        opener = _OPENER if context is None else _opener(context)
        with opener.open(request, timeout=10) as response:
            headers = response.headers
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as exc:
        headers, body, status = exc.headers, exc.read().decode(), exc.code
    return Answer(
        status,
        {name.lower(): value for name, value in headers.items()},
        headers.get_all("set-cookie") or [],
        body,
    )


def remember(cookies: dict[str, str], set_cookies: list[str]) -> None:
    for header in set_cookies:
        parsed = http.cookies.SimpleCookie(header)
        for name, morsel in parsed.items():
            if morsel["max-age"] == "0":
                cookies.pop(name, None)
            else:
                cookies[name] = morsel.value


def sign_in(base: str, provider: OpenIdProvider, claims: dict[str, object]) -> dict[str, str]:
    """The cookies of a session signed in as `claims` at the dashboard at `base`, through
    /auth/login, the provider's authorization endpoint and /auth/callback."""
    provider.next_sign_in(claims)
    cookies: dict[str, str] = {}
    url = base + "/auth/login?next=/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = fetch(url, cookies if url.startswith(base) else {})
        remember(cookies, answer.set_cookies)
        if answer.status not in (302, 303):
            raise AssertionError(f"sign-in stopped at {url}: {answer.status} {answer.body[:300]}")
        url = urllib.parse.urljoin(url, answer.location)
        if url == base + "/":
            return cookies
    raise AssertionError("sign-in did not come back to the dashboard")

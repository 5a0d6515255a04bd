"""The one module that talks to OCI registries: the distribution API over one requests session.

Every request has a connect and a read timeout and a whole-response deadline, none is retried
here (retries with backoff belong to the caller, `OciCharts`), and every failure becomes a
`RegistryError` with a kind the caller can act on. Calls block: run them in worker threads
(`OciCharts` does).

Auth follows the registry's own challenge, read once per host from `GET /v2/`: none, Basic
(htpasswd registries: credentials sent with every request), or Bearer (the token flow of
`registry_token.py`, with the basic credentials or anonymously; a registry token from the
config is sent as it is). Every body read is size-capped and checked against the sha256 digest
it was asked for.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import requests
from requests import PreparedRequest
from requests.adapters import HTTPAdapter

from fasit import __version__
from fasit.charts.credentials import Credential, RegistryCredentials
from fasit.charts.digest import DigestError, checked_digest
from fasit.charts.lru import Lru
from fasit.charts.registry_errors import (
    RegistryError,
    RegistryFailure,
    request_failed,
    status_failed,
    too_large,
    verified,
)
from fasit.charts.registry_token import parse_bearer_challenge, request_token
from fasit.charts.tag_list import next_tag_page, tags_of_page
from fasit.model import OciChart
from fasit.options import REGISTRY_READ_TIMEOUT

__all__ = [
    "MANIFEST_MEDIA_TYPES",
    "RegistryClient",
    "RegistryError",
    "RegistryFailure",
    "RegistrySettings",
]

_log = logging.getLogger(__name__)

MANIFEST_MEDIA_TYPES: Final = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_MIB: Final = 1024 * 1024
_CHUNK: Final = 64 * 1024
# A tag listing is followed this far (Link: rel="next"): enough to name the nearest versions.
_MAX_TAG_PAGES: Final = 10


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    """How to reach registries: credentials, which speak plain HTTP, TLS trust and limits."""

    credentials: RegistryCredentials = field(default_factory=RegistryCredentials)
    # host[:port] of registries reached over plain HTTP; every other one over HTTPS.
    plain_http: frozenset[str] = frozenset()
    ca_bundle: Path | None = None
    connect_timeout: float = 5.0
    read_timeout: float = REGISTRY_READ_TIMEOUT
    # A whole response (a slow trickle of bytes included) must arrive within this.
    response_deadline: float = 120.0
    max_manifest_bytes: int = 4 * _MIB
    max_blob_bytes: int = 64 * _MIB
    # Tags asked per page of a tag listing (`?n=`); at most ten pages are followed.
    tag_page_size: int = 1000
    # Repositories whose client (and token) is kept; the least recently used is made again.
    repository_clients: int = 1024


class _TimeoutAdapter(HTTPAdapter):
    """Gives every request through the session a timeout: requests' default is none at all."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__(max_retries=0)
        self._timeout = timeout

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        return super().send(request, stream, timeout or self._timeout, verify, cert, proxies)


@dataclass(slots=True)
class _Repository:
    """How to authenticate to one repository; a token is scoped to it, hence one each.

    `basic` (base64 "user:password") goes with every request to a Basic registry, or to the
    token service of a Bearer one (`bearer`); `token` is the Bearer token in use, fetched again
    when refused unless it is the registry token of the config (`fixed`).
    """

    basic: str | None = None
    bearer: bool = False
    token: str | None = None
    fixed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def headers(self) -> dict[str, str]:
        headers = {"Accept": ", ".join(MANIFEST_MEDIA_TYPES)}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.basic is not None and not self.bearer:
            headers["Authorization"] = f"Basic {self.basic}"
        return headers


class RegistryClient:
    """Tag → digest, manifests and blobs from OCI registries; blocking and thread-safe."""

    def __init__(self, settings: RegistrySettings | None = None) -> None:
        self.settings = settings or RegistrySettings()
        self._session = requests.Session()
        adapter = _TimeoutAdapter((self.settings.connect_timeout, self.settings.read_timeout))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers["User-Agent"] = f"fasit/{__version__}"
        self._lock = threading.Lock()
        self._challenges: dict[str, str] = {}
        self._challenge_locks: dict[str, threading.Lock] = {}
        self._challenge_failures: dict[str, tuple[float, RegistryError]] = {}
        self._repositories: Lru[tuple[str, str], _Repository] = Lru(
            self.settings.repository_clients
        )

    def close(self) -> None:
        self._session.close()

    def forget_auth(self, registry: str) -> None:
        """Ask the registry for its challenge again next time (after an auth failure)."""
        with self._lock:
            self._challenges.pop(registry, None)
            for key, _ in self._repositories.items():
                if key[0] == registry:
                    self._repositories.discard(key)

    def resolve_tag(self, chart: OciChart, tag: str) -> str:
        """The digest `tag` points at now (HEAD on the manifest, so nothing is downloaded)."""
        url = self._url(chart, f"manifests/{tag}")
        with self._response(chart, "HEAD", url, f"tag {tag}") as response:
            digest = response.headers.get("Docker-Content-Digest", "")
        if not digest:
            # Some registries leave the header off a HEAD; the body's hash is the digest.
            body = self._read(chart, url, f"tag {tag}", self.settings.max_manifest_bytes)
            return "sha256:" + hashlib.sha256(body).hexdigest()
        try:
            return checked_digest(digest)
        except DigestError as exc:
            raise RegistryError(
                RegistryFailure.INVALID,
                f"{chart.registry}: the digest of {chart.repository}:{tag}"
                f" (Docker-Content-Digest) {exc}",
            ) from None

    def fetch_manifest(self, chart: OciChart, digest: str) -> bytes:
        """The manifest with `digest`, verified against it."""
        url = self._url(chart, f"manifests/{digest}")
        body = self._read(chart, url, f"manifest {digest}", self.settings.max_manifest_bytes)
        return verified(chart, body, digest, "manifest")

    def fetch_blob(self, chart: OciChart, digest: str) -> bytes:
        """The blob (config or layer) with `digest`, verified against it."""
        url = self._url(chart, f"blobs/{digest}")
        body = self._read(chart, url, f"blob {digest}", self.settings.max_blob_bytes)
        return verified(chart, body, digest, "layer")

    def list_tags(self, chart: OciChart) -> list[str]:
        """The repository's tags (`tags/list`, following its pages, bounded), in registry order.

        Pages are read one after another, at most ten; a page that is not a list of tags, or a
        link to a page already read or to another host, is RegistryError (INVALID).
        """
        url: str | None = self._url(chart, f"tags/list?n={self.settings.tag_page_size}")
        tags: list[str] = []
        read: set[str] = set()
        for _ in range(_MAX_TAG_PAGES):
            if url is None:
                break
            body, link = self._read_page(chart, url)
            read.add(url)
            tags += tags_of_page(chart, body)
            url = next_tag_page(chart, url, link, read)
        return tags

    # --- requests ----------------------------------------------------------------------------

    def _url(self, chart: OciChart, path: str) -> str:
        scheme = "http" if chart.registry in self.settings.plain_http else "https"
        return f"{scheme}://{chart.registry}/v2/{chart.repository}/{path}"

    def _read_page(self, chart: OciChart, url: str) -> tuple[bytes, str | None]:
        """One page of a listing and the URL of the next (its Link header), if any."""
        body, links = self._fetch(chart, url, "the tag list", self.settings.max_manifest_bytes)
        return body, links.get("next", {}).get("url")

    def _read(self, chart: OciChart, url: str, what: str, limit: int) -> bytes:
        return self._fetch(chart, url, what, limit)[0]

    def _fetch(
        self, chart: OciChart, url: str, what: str, limit: int
    ) -> tuple[bytes, Mapping[str, Mapping[str, str]]]:
        """The body, size-capped and within the deadline, and the response's Link relations."""
        deadline = time.monotonic() + self.settings.response_deadline
        with self._response(chart, "GET", url, what, stream=True) as response:
            links = response.links
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > limit:
                raise too_large(chart, what, limit)
            body = bytearray()
            try:
                for chunk in response.iter_content(_CHUNK):
                    body += chunk
                    if len(body) > limit:
                        raise too_large(chart, what, limit)
                    if time.monotonic() > deadline:
                        raise RegistryError(
                            RegistryFailure.TIMEOUT,
                            f"{chart.registry}: {what} of {chart.repository} did not arrive"
                            f" within {self.settings.response_deadline:g} s",
                        )
            except requests.RequestException as exc:
                raise request_failed(chart, what, exc) from None
            return bytes(body), links

    def _response(
        self, chart: OciChart, method: str, url: str, what: str, *, stream: bool = False
    ) -> requests.Response:
        """A 2xx response (the caller closes it), or RegistryError."""
        repository = self._repository(chart)
        with repository.lock:
            response = self._send(chart, method, url, repository.headers(), what, stream)
            if response.status_code == 401 and repository.bearer and not repository.fixed:
                # No token yet, or an expired one: answer the challenge, then ask once more.
                with response:
                    repository.token = self._token(chart, what, response, repository.basic)
                response = self._send(chart, method, url, repository.headers(), what, stream)
        if response.status_code < 300:
            return response
        with response:
            raise status_failed(chart, what, response)

    def _send(
        self,
        chart: OciChart,
        method: str,
        url: str,
        headers: dict[str, str],
        what: str,
        stream: bool,
    ) -> requests.Response:
        try:
            return self._session.request(
                method, url, headers=headers, stream=stream, verify=self._verify
            )
        except requests.RequestException as exc:
            raise request_failed(chart, what, exc) from None

    # --- auth --------------------------------------------------------------------------------

    def _token(
        self, chart: OciChart, what: str, refused: requests.Response, basic: str | None
    ) -> str:
        """A token for the Bearer challenge of `refused` (a 401), from its token service."""
        challenge = parse_bearer_challenge(refused.headers.get("WWW-Authenticate", ""))
        if challenge is None:
            raise status_failed(chart, what, refused)
        if challenge.realm.startswith("http://") and chart.registry not in self.settings.plain_http:
            raise RegistryError(
                RegistryFailure.UNAUTHORIZED,
                f"{chart.registry}: its token service {challenge.realm} is plain HTTP; fasit"
                " sends no credentials in the clear for a registry it reaches over HTTPS",
            )
        try:
            return request_token(self._session, chart, what, challenge, basic, verify=self._verify)
        except requests.RequestException as exc:
            raise request_failed(chart, f"{what} (its token service)", exc) from None

    def _repository(self, chart: OciChart) -> _Repository:
        key = (chart.registry, chart.repository)
        with self._lock:
            found = self._repositories.get(key)
        if found is not None:
            return found
        challenge = self._challenge(chart)
        credential = self.settings.credentials.for_host(chart.registry)
        made = _make_repository(chart, challenge, credential, self._helper_note(chart))
        with self._lock:  # another thread may have made one meanwhile: keep the first
            return self._repositories.get(key) or self._repositories.put(key, made)

    def _challenge(self, chart: OciChart) -> str:
        """The auth scheme the registry asks for: '' (none), 'basic' or 'bearer'."""
        with self._lock:
            lock = self._challenge_locks.setdefault(chart.registry, threading.Lock())
        waiting_since = time.monotonic()
        with lock:  # one check per registry, however many threads want it at once
            known = self._challenges.get(chart.registry)
            if known is not None:
                return known
            failed = self._challenge_failures.get(chart.registry)
            if failed is not None and failed[0] >= waiting_since:
                raise failed[1]  # it failed while this thread waited: do not wait it out again
            try:
                known = self._challenges[chart.registry] = self._ask_challenge(chart)
            except RegistryError as exc:
                self._challenge_failures[chart.registry] = (time.monotonic(), exc)
                raise
            return known

    def _ask_challenge(self, chart: OciChart) -> str:
        url = self._url(chart, "").split("/v2/", 1)[0] + "/v2/"
        try:
            with self._session.get(url, verify=self._verify) as response:
                status, header = response.status_code, response.headers.get("WWW-Authenticate", "")
        except requests.RequestException as exc:
            raise request_failed(chart, "the API version check", exc) from None
        if status == 401:
            scheme = header.split(" ", 1)[0].lower()
            if scheme not in ("basic", "bearer"):
                raise RegistryError(
                    RegistryFailure.UNAUTHORIZED,
                    f"{chart.registry} asks for {header or 'an unnamed'} authentication,"
                    " which fasit does not speak (Basic and Bearer are supported)",
                )
            return scheme
        if status >= 300:
            raise status_failed(chart, "the API version check", status)
        return ""

    def _helper_note(self, chart: OciChart) -> str:
        helper = self.settings.credentials.helper_for(chart.registry)
        return (
            f"; config.json leaves it to the credential helper {helper!r}, which fasit does not run"
            if helper
            else ""
        )

    @property
    def _verify(self) -> bool | str:
        return str(self.settings.ca_bundle) if self.settings.ca_bundle else True


def _make_repository(
    chart: OciChart, challenge: str, credential: Credential | None, helper_note: str
) -> _Repository:
    """How to authenticate to `chart`'s repository, given the registry's challenge."""
    basic = None
    if credential is not None and credential.username:
        pair = f"{credential.username}:{credential.password}".encode()
        basic = base64.b64encode(pair).decode()
    if challenge == "basic" and basic is None:
        raise RegistryError(
            RegistryFailure.UNAUTHORIZED,
            f"{chart.registry} asks for a username and password and none is configured"
            " for it (docker config.json `auths`)" + helper_note,
        )
    if challenge != "basic" and credential is not None and credential.token:
        return _Repository(bearer=True, token=credential.token, fixed=True)
    # An open registry ('') needs nothing; a Bearer one gets `basic` only at its token service.
    return _Repository(basic=basic if challenge else None, bearer=challenge == "bearer")

"""`fasit serve --tls-cert --tls-key`: the HTTP listener speaks HTTPS with a certificate made
here (self-signed, by the `cryptography` package), its cookies are always Secure, and a pair
that cannot be used stops it at start (issue 23, item 4)."""

from __future__ import annotations

import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.integration.certificates import self_signed
from tests.integration.oidc.provider import CLIENT_ID, OpenIdProvider, fetch, install
from tests.integration.processes import LOOPBACK, free_port
from tests.integration.serve.support import serve


def trusting(cert_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert_file))


def test_the_listener_serves_https_and_not_plain_http(tmp_path: Path) -> None:
    cert_file, key_file = self_signed(tmp_path)
    served = serve(
        tmp_path,
        *("--tls-cert", str(cert_file), "--tls-key", str(key_file)),
        tls=trusting(cert_file),
    )
    try:
        status, body = served.get("/api/v1/overview")

        assert status == 200
        assert body["releases"]["total"] > 0
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen(f"http://{LOOPBACK}:{served.http}/healthz", timeout=5)
        assert f"fasit serve: https://{LOOPBACK}:{served.http}" in served.log.read_text()
    finally:
        served.stop()


def test_with_tls_cookies_are_secure_even_on_loopback(tmp_path: Path) -> None:
    cert_file, key_file = self_signed(tmp_path)
    access = tmp_path / "access.yaml"
    access.write_text("groups: {fleet-admins: ['*']}\n", encoding="utf-8")
    with OpenIdProvider(install()) as provider:
        served = serve(
            tmp_path,
            *("--tls-cert", str(cert_file), "--tls-key", str(key_file)),
            *("--oidc-issuer", provider.issuer, "--oidc-client-id", CLIENT_ID),
            *("--access", str(access)),
            tls=trusting(cert_file),
        )
        try:
            started = fetch(served.base + "/auth/login", {}, context=served.tls)
        finally:
            served.stop()

    (attempt,) = started.set_cookies
    assert attempt.endswith("; Secure")
    assert f"redirect_uri=https%3A%2F%2F{LOOPBACK}%3A{served.http}%2Fauth%2Fcallback" in (
        started.location
    )


@pytest.mark.parametrize(
    ("files", "said"),
    [
        pytest.param(("cert", None), "--tls-cert and --tls-key go together", id="a cert alone"),
        pytest.param(("key", "cert"), "cannot be used", id="the files swapped"),
        pytest.param(("missing", "key"), "cannot be used (No such file", id="a missing file"),
    ],
)
def test_a_certificate_and_key_that_cannot_be_used_stop_serve_at_start(
    tmp_path: Path, files: tuple[str, str | None], said: str
) -> None:
    cert_file, key_file = self_signed(tmp_path)
    paths = {"cert": cert_file, "key": key_file, "missing": tmp_path / "missing.crt"}
    flags = ["--tls-cert", str(paths[files[0]])]
    if files[1] is not None:
        flags += ["--tls-key", str(paths[files[1]])]

    run = subprocess.run(
        [
            *(sys.executable, "-m", "fasit", "serve", "--http-addr", f"{LOOPBACK}:{free_port()}"),
            *("--status-db", str(tmp_path / "status.db"), *flags),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 2
    assert said in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1

"""TLS and mutual TLS between hub and agent, with certificates made by openssl for the test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import grpc
import pytest

from fasit.agents import AgentConnected, AgentHub, HubConfig, TlsConfig, TokenFile
from tests.integration.agents.conftest import TOKENS
from tests.integration.agents.support import EventLog, RawSession, hello

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ca.pem; server.pem/server.key for 127.0.0.1; client.pem/client.key; all signed by ca."""
    root = tmp_path_factory.mktemp("pki")
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
        "-keyout", "ca.key", "-out", "ca.pem", cwd=root,
    )  # fmt: skip
    for name, extension in (
        ("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        _openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=root,
        )  # fmt: skip
        (root / f"{name}.ext").write_text(extension + "\n", encoding="utf-8")
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
            cwd=root,
        )  # fmt: skip
    return root


def _tls_hub(token_file: Path, tls: TlsConfig) -> AgentHub:
    return AgentHub(TokenFile(token_file), HubConfig(tls=tls))


def _channel(hub: AgentHub, pki: Path, *, client_cert: bool) -> grpc.aio.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(pki / "ca.pem").read_bytes(),
        private_key=(pki / "client.key").read_bytes() if client_cert else None,
        certificate_chain=(pki / "client.pem").read_bytes() if client_cert else None,
    )
    return grpc.aio.secure_channel(hub.address, credentials)


async def _first(hub: AgentHub, channel: grpc.aio.Channel) -> str:
    session = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello(), channel=channel)
    try:
        return str((await session.receive()).WhichOneof("kind"))
    finally:
        await session.close()


async def test_an_agent_trusting_the_ca_connects_over_tls(token_file: Path, pki: Path) -> None:
    tls = TlsConfig(pki / "server.pem", pki / "server.key")
    async with _tls_hub(token_file, tls) as hub, EventLog(hub) as events:
        assert await _first(hub, _channel(hub, pki, client_cert=False)) == "welcome"
        await events.wait_for(AgentConnected, "the TLS session")


async def test_a_plaintext_agent_cannot_talk_to_a_tls_hub(token_file: Path, pki: Path) -> None:
    tls = TlsConfig(pki / "server.pem", pki / "server.key")
    async with _tls_hub(token_file, tls) as hub:
        session = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())
        code, _ = await session.ended_with()
        await session.close()
        assert code == grpc.StatusCode.UNAVAILABLE


async def test_mutual_tls_refuses_an_agent_without_a_client_certificate(
    token_file: Path, pki: Path
) -> None:
    tls = TlsConfig(pki / "server.pem", pki / "server.key", client_ca=pki / "ca.pem")
    async with _tls_hub(token_file, tls) as hub:
        assert await _first(hub, _channel(hub, pki, client_cert=True)) == "welcome"
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await _first(hub, _channel(hub, pki, client_cert=False))
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE

"""In-repo charts as naisd gets them: downloaded from fasit's chart route (real HTTP on
127.0.0.1) with the agent's token, checked against the instruction's digest, installed by the
helm double from the local archive; and every way that fails before helm runs."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from fasit.charts import ServedChart
from naisd import Action, DownloadSettings, HelmExecutor, LogKind, Outcome, Work
from tests.integration.agents.helm_fixtures import HelmDouble
from tests.integration.certificates import self_signed
from tests.integration.conftest import TOKENS
from tests.integration.web_server import ChartServer, chart_server

OTHER = "sha256:" + "0" * 64


@pytest.fixture
def web(served_charts: ChartServer) -> ServedChart:
    """web 1.0.0, an in-repo chart fasit packaged and serves."""
    return served_charts.web


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "naisd"
    path.mkdir()
    return path


def executor(
    double: HelmDouble,
    workdir: Path,
    token: str = TOKENS["nav/prod"],
    downloads: DownloadSettings | None = None,
) -> HelmExecutor:
    """The helm executor running the double, fetching charts as nav/prod's agent."""
    return HelmExecutor(
        "helm",
        environ=double.environ,
        workdir=workdir,
        chart_token=lambda: token,
        downloads=downloads,
    )


def install(url: str, digest: str) -> Work:
    return Work(
        "i-1", "web", "apps", url, digest, "1.0.0", {"replicas": 4}, "", 30.0, Action.INSTALL
    )


class Lines(list[tuple[LogKind, str]]):
    def __call__(self, kind: LogKind, text: str) -> None:
        self.append((kind, text))


def upgrades(double: HelmDouble) -> list[list[str]]:
    return [call for call in double.calls() if call[0] == "upgrade"]


async def test_a_served_chart_is_installed_from_the_downloaded_archive(
    helm_double: HelmDouble, served_charts: ChartServer, web: ServedChart, workdir: Path
) -> None:
    lines = Lines()

    applied = await executor(helm_double, workdir).apply(install(web.url, web.digest), lines)

    assert applied.outcome is Outcome.DEPLOYED, applied.error
    [upgrade] = upgrades(helm_double)
    assert Path(upgrade[-1]).parent == workdir
    assert upgrade[-1].endswith(".tgz")
    assert upgrade[upgrade.index("--version") + 1] == "1.0.0"
    stored = helm_double.release("apps", "web")
    assert stored is not None
    assert 'replicas: "4"' in str(stored["manifest"])
    assert (LogKind.AGENT, f"downloading chart {web.url}") in lines
    size = len(served_charts.web_archive)
    assert (LogKind.AGENT, f"chart {web.digest} downloaded ({size} bytes) and checked") in lines
    assert list(workdir.iterdir()) == []  # the archive and the values file are gone


async def test_an_archive_of_another_digest_fails_and_helm_never_runs(
    helm_double: HelmDouble, web: ServedChart, workdir: Path
) -> None:
    applied = await executor(helm_double, workdir).apply(install(web.url, OTHER), Lines())

    assert applied.outcome is Outcome.FAILED
    assert applied.error == (
        f"chart {web.url} has digest {web.digest}, not the instruction's {OTHER}: not installed"
    )
    assert upgrades(helm_double) == []
    assert list(workdir.iterdir()) == []


async def test_a_refused_token_fails_naming_the_status(
    helm_double: HelmDouble, web: ServedChart, workdir: Path
) -> None:
    applied = await executor(helm_double, workdir, token="stale").apply(
        install(web.url, web.digest), Lines()
    )

    assert applied.outcome is Outcome.FAILED
    assert applied.error == (
        f"cannot download chart {web.url}: HTTP 401 Unauthorized:"
        " a valid agent token is required (Authorization: Bearer <token>)"
    )
    assert upgrades(helm_double) == []


async def test_an_archive_the_controller_no_longer_holds_fails_as_not_found(
    helm_double: HelmDouble, served_charts: ChartServer, workdir: Path
) -> None:
    url = f"{served_charts.url}/charts/{OTHER}.tgz"

    applied = await executor(helm_double, workdir).apply(install(url, OTHER), Lines())

    assert applied.error == (
        f"cannot download chart {url}: HTTP 404 Not Found: no chart archive {OTHER} here"
    )
    assert upgrades(helm_double) == []


async def test_an_archive_past_the_size_cap_is_refused(
    helm_double: HelmDouble, web: ServedChart, workdir: Path
) -> None:
    small = executor(helm_double, workdir, downloads=DownloadSettings(max_bytes=100))

    applied = await small.apply(install(web.url, web.digest), Lines())

    assert applied.error == f"cannot download chart {web.url}: larger than 100 bytes"
    assert upgrades(helm_double) == []


async def test_a_chart_url_without_a_digest_is_never_installed(
    helm_double: HelmDouble, web: ServedChart, workdir: Path
) -> None:
    applied = await executor(helm_double, workdir).apply(install(web.url, ""), Lines())

    assert applied.error == (
        f"chart {web.url} comes with no sha256 digest to check it against (''): not installed"
    )
    assert upgrades(helm_double) == []


async def test_an_unreachable_controller_fails_naming_the_url_and_the_cause(
    helm_double: HelmDouble, workdir: Path
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/charts/{OTHER}.tgz"

    applied = await executor(helm_double, workdir).apply(install(url, OTHER), Lines())

    assert applied.error == f"cannot download chart {url}: Connection refused"


async def test_a_server_that_does_not_speak_http_fails_naming_the_url(
    helm_double: HelmDouble, workdir: Path
) -> None:
    async def not_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(not_http, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/charts/{OTHER}.tgz"
    async with server:
        applied = await executor(helm_double, workdir).apply(install(url, OTHER), Lines())

    assert applied.error == (
        f"cannot download chart {url}: the server did not answer in HTTP ('SSH-2.0-OpenSSH_9.2')"
    )
    assert upgrades(helm_double) == []


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that accepts connections (into its backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/charts/{OTHER}.tgz"


async def test_a_controller_that_never_answers_fails_after_the_timeout(
    helm_double: HelmDouble, workdir: Path, silent_url: str
) -> None:
    impatient = executor(helm_double, workdir, downloads=DownloadSettings(timeout=0.2))

    applied = await impatient.apply(install(silent_url, OTHER), Lines())

    assert applied.error == f"cannot download chart {silent_url}: timed out"


async def test_a_download_in_progress_does_not_hold_up_a_stop(
    helm_double: HelmDouble, workdir: Path, silent_url: str
) -> None:
    lines = Lines()
    task = asyncio.create_task(
        executor(helm_double, workdir).apply(install(silent_url, OTHER), lines)
    )
    while (LogKind.AGENT, f"downloading chart {silent_url}") not in lines:
        await asyncio.sleep(0.01)

    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert upgrades(helm_double) == []


@pytest.fixture
def served_over_https(tmp_path: Path, token_file: Path) -> Iterator[tuple[ChartServer, Path]]:
    """The chart route over HTTPS, with a self-signed certificate; and that certificate."""
    certificate = self_signed(tmp_path)
    with chart_server(tmp_path / "state", token_file, certificate) as server:
        yield server, certificate[0]


async def test_a_chart_served_over_https_is_downloaded_trusting_the_tls_ca(
    helm_double: HelmDouble, workdir: Path, served_over_https: tuple[ChartServer, Path]
) -> None:
    server, ca = served_over_https
    trusting = executor(helm_double, workdir, downloads=DownloadSettings(ca_file=ca))

    applied = await trusting.apply(install(server.web.url, server.web.digest), Lines())

    assert server.web.url.startswith("https://")
    assert applied.outcome is Outcome.DEPLOYED, applied.error
    assert len(upgrades(helm_double)) == 1


async def test_a_chart_served_over_https_by_a_ca_not_trusted_is_never_installed(
    helm_double: HelmDouble, workdir: Path, served_over_https: tuple[ChartServer, Path]
) -> None:
    server, _ = served_over_https
    untrusting = executor(helm_double, workdir)

    applied = await untrusting.apply(install(server.web.url, server.web.digest), Lines())

    assert applied.outcome is Outcome.FAILED
    assert f"cannot download chart {server.web.url}" in str(applied.error)
    assert "certificate verify failed" in str(applied.error)
    assert upgrades(helm_double) == []

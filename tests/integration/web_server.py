"""fasit's HTTP routes on a real uvicorn at 127.0.0.1, and an in-repo chart published there.

The server runs in a thread with its own event loop, so tests in either world (sync clients,
or naisd in the test's loop) talk to it over a real socket. The socket is bound and listening
before the server starts: connections made meanwhile wait in its backlog, so nothing polls.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from fasit.agents import TokenFile
from fasit.charts import ChartArchives, InRepoCharts, ServedChart
from fasit.state import DirectoryTree, LoadLimits
from fasit.web import chart_route
from tests.helpers import write_tree
from tests.integration.oci_registry import Chart


class LoopbackServer:
    """A listening socket at 127.0.0.1 (its `url` known at once) and `serve(app)` on it."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.tls = tls
        """A certificate and key file: then it serves HTTPS."""
        scheme = "http" if tls is None else "https"
        self.url = f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"

    @contextlib.contextmanager
    def serve(self, app: ASGIApp) -> Iterator[str]:
        """`app` on uvicorn in a thread until the block ends; yields the base URL."""
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            ssl_certfile=None if self.tls is None else self.tls[0],
            ssl_keyfile=None if self.tls is None else self.tls[1],
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._listener]}, daemon=True
        )
        thread.start()
        try:
            yield self.url
        finally:
            server.should_exit = True
            thread.join(10.0)
            self._listener.close()


@dataclass(frozen=True)
class ChartServer:
    """The chart route serving `archives`; `web` (web 1.0.0, in-repo) is published."""

    url: str
    archives: ChartArchives
    web: ServedChart
    web_archive: bytes


@contextlib.contextmanager
def chart_server(
    root: Path, token_file: Path, tls: tuple[Path, Path] | None = None
) -> Iterator[ChartServer]:
    """`chart_route` for the tokens of `token_file`, with web 1.0.0 in a state tree at `root`
    (the files `Chart.helm` makes) packaged and published as `fasit serve` does; over HTTPS
    with `tls` (a certificate and key file)."""
    web = Chart.helm("web", "1.0.0")
    tree = DirectoryTree(
        write_tree(root, {f"charts/web/1.0.0/{path}": text for path, text in web.files.items()})
    )
    charts = InRepoCharts(tree, tree.entries(), LoadLimits())
    resolved = charts.resolve("charts/web", "web", "1.0.0").chart
    assert resolved is not None
    server = LoopbackServer(tls)
    archives = ChartArchives(server.url)
    with server.serve(Starlette(routes=[chart_route(archives, TokenFile(token_file))])):
        served = archives.publish(resolved, charts.package)
        archive = archives.archive(served.digest)
        assert archive is not None
        yield ChartServer(server.url, archives, served, archive)

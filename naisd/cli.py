"""The `naisd` command: checks its flags, builds an Agent, runs it until SIGTERM or SIGINT.

    naisd --controller HOST:PORT[,HOST:PORT...] --environment tenant/name --token-file F
          [--tls-ca F [--tls-cert F --tls-key F]] [--executor helm|fake] [--state-dir DIR]
          [--plain-http-registry HOST[:PORT] ...]

Exit codes: 0 after a stop by signal, 2 when it cannot start (every bad flag is named). On
SIGTERM it exits within 10 s: running helm is stopped and its result reported, not awaited.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shutil
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import grpc

from naisd import __version__
from naisd.agent import Agent
from naisd.chart_download import DownloadSettings
from naisd.config import AgentConfig
from naisd.controllers import parse_controllers
from naisd.errors import NaisdError
from naisd.fake import DEFAULT_DELAY, FakeExecutor
from naisd.helm import HelmExecutor
from naisd.results import ResultStore, StateFileInvalid
from naisd.work import Executor

__all__ = ["main"]

logger = logging.getLogger("naisd")

_ENVIRONMENT = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
STATE_FILE = "naisd-state.json"
PLAIN_HTTP_ENV = "NAISD_PLAIN_HTTP_REGISTRIES"


class _Unusable(NaisdError):
    """A flag or file naisd cannot start with; the message says which and why."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="naisd",
        description="The fasit agent: one gRPC session with the controller; runs helm.",
    )
    parser.add_argument("--version", action="version", version=f"naisd {__version__}")
    parser.add_argument(
        "--controller",
        required=True,
        metavar="HOST:PORT[,HOST:PORT...]",
        help="fasit serve's agent hub; several replicas' comma-separated, tried in turn (a"
        " replica that does not serve this environment redirects to the one that does)",
    )
    parser.add_argument(
        "--environment", required=True, metavar="TENANT/NAME", help="the environment this is"
    )
    parser.add_argument(
        "--token-file", required=True, type=Path, metavar="FILE", help="read at every connect"
    )
    parser.add_argument(
        "--tls-ca",
        type=Path,
        metavar="FILE",
        help="TLS: the controller's CA (gRPC, and charts it serves over https)",
    )
    parser.add_argument("--tls-cert", type=Path, metavar="FILE", help="mutual TLS: our cert")
    parser.add_argument("--tls-key", type=Path, metavar="FILE", help="mutual TLS: its key")
    parser.add_argument(
        "--executor",
        choices=["helm", "fake"],
        default="helm",
        help="helm runs the helm binary (default); fake simulates it in memory (demos, tests)",
    )
    parser.add_argument("--helm", default="helm", metavar="PATH", help="the helm binary")
    parser.add_argument(
        "--plain-http-registry",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="helm pulls charts from this registry over plain HTTP (repeatable; also "
        f"{PLAIN_HTTP_ENV}, comma-separated). Every other registry is HTTPS",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help=f"keep results in DIR/{STATE_FILE} (survives restarts); default: in memory",
    )
    parser.add_argument(
        "--fake-delay",
        default=f"{DEFAULT_DELAY[0]:g}-{DEFAULT_DELAY[1]:g}",
        metavar="MIN-MAX",
        help="seconds a fake instruction takes (default %(default)s)",
    )
    parser.add_argument(
        "--inventory-interval",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="report the releases helm lists this often (default %(default)g)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        agent = _agent(args)
    except _Unusable as exc:
        print(f"naisd: {exc}", file=sys.stderr)
        return 2
    asyncio.run(_serve(agent))
    return 0


async def _serve(agent: Agent) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, agent.stop)
    logger.info(
        "naisd %s starting",
        __version__,
        extra={"environment": agent.environment, "controller": agent.target},
    )
    await agent.run()
    logger.info("naisd stopped")


def _agent(args: argparse.Namespace) -> Agent:
    try:
        parse_controllers(args.controller)
    except ValueError as exc:
        raise _Unusable(f"--controller {exc}") from None
    if not _ENVIRONMENT.match(args.environment):
        raise _Unusable(f"--environment {args.environment!r}: expected tenant/name")
    token = _token_reader(args.token_file)
    try:
        token()
    except (OSError, ValueError) as exc:
        raise _Unusable(str(exc)) from exc
    store = ResultStore()
    if args.state_dir is not None:
        try:
            args.state_dir.mkdir(parents=True, exist_ok=True)
            store = ResultStore(args.state_dir / STATE_FILE)
        except OSError as exc:
            raise _Unusable(f"--state-dir {args.state_dir}: {exc.strerror}") from exc
        except StateFileInvalid as exc:
            raise _Unusable(str(exc)) from exc
    credentials = _credentials(args)
    return Agent(
        args.controller,
        args.environment,
        token,
        _executor(args, token),
        credentials=credentials,
        store=store,
        config=AgentConfig(inventory_interval=args.inventory_interval),
    )


def _executor(args: argparse.Namespace, token: Callable[[], str]) -> Executor:
    if args.executor == "helm":
        registries = _plain_http_registries(args)
        if shutil.which(args.helm) is None:
            raise _Unusable(
                f"--helm {args.helm!r}: no such executable (install Helm 4, or give its path)"
            )
        # The token also fetches in-repo charts fasit serves over HTTP(S) (docs/charts.md),
        # trusting --tls-ca as the controller's gRPC does.
        return HelmExecutor(
            args.helm,
            workdir=args.state_dir,
            plain_http_registries=registries,
            chart_token=token,
            downloads=DownloadSettings(ca_file=args.tls_ca),
        )
    match = re.fullmatch(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", args.fake_delay)
    if match is None or float(match[1]) > float(match[2]):
        raise _Unusable(f"--fake-delay {args.fake_delay!r}: expected MIN-MAX seconds, MIN <= MAX")
    try:
        return FakeExecutor.from_environment(
            args.environment, delay=(float(match[1]), float(match[2]))
        )
    except ValueError as exc:
        raise _Unusable(str(exc)) from exc


def _plain_http_registries(args: argparse.Namespace) -> frozenset[str]:
    """The flags' registries and the environment's, each HOST[:PORT] as in an oci:// URL."""
    given = [("--plain-http-registry", entry) for entry in args.plain_http_registry]
    given += [(PLAIN_HTTP_ENV, entry) for entry in os.environ.get(PLAIN_HTTP_ENV, "").split(",")]
    registries: set[str] = set()
    for source, entry in given:
        registry = entry.strip()
        if "/" in registry:  # a URL or a repository: it would never match a chart's host
            raise _Unusable(f"{source} {registry!r}: expected HOST[:PORT]")
        if registry:
            registries.add(registry)
    return frozenset(registries)


def _credentials(args: argparse.Namespace) -> grpc.ChannelCredentials | None:
    """Plaintext unless --tls-ca; --tls-cert and --tls-key add a client certificate."""
    if (args.tls_cert is None) != (args.tls_key is None):
        raise _Unusable("--tls-cert and --tls-key go together")
    if args.tls_ca is None:
        if args.tls_cert is not None:
            raise _Unusable("--tls-cert needs --tls-ca (mutual TLS is TLS first)")
        return None
    files = {"--tls-ca": args.tls_ca, "--tls-cert": args.tls_cert, "--tls-key": args.tls_key}
    read: dict[str, bytes | None] = {}
    for flag, path in files.items():
        try:
            read[flag] = path.read_bytes() if path is not None else None
        except OSError as exc:
            raise _Unusable(f"{flag} {path}: {exc.strerror}") from exc
    return grpc.ssl_channel_credentials(
        root_certificates=read["--tls-ca"],
        private_key=read["--tls-key"],
        certificate_chain=read["--tls-cert"],
    )


def _token_reader(path: Path) -> Callable[[], str]:
    """Reads the token at every connect, so a rotated token is used without a restart."""

    def read() -> str:
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise OSError(f"--token-file {path}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise ValueError(f"--token-file {path}: not UTF-8 text") from exc
        if not token:
            raise ValueError(f"--token-file {path}: empty")
        return token

    return read

"""The options of every command that resolves charts, and the OCI fetcher they configure.

The options are declared without importing the charts stage; the registry client is made, and
imported, when a build first fetches an oci:// chart.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fasit.cli._common import seconds
from fasit.options import REGISTRY_READ_TIMEOUT

if TYPE_CHECKING:
    from fasit.charts import ChartOutcome, OciCharts, OciWanted, RegistryCredentials
    from fasit.plan import FetchOci

__all__ = ["PLAIN_HTTP_ENV", "add_chart_options", "oci_fetcher"]

PLAIN_HTTP_ENV = "FASIT_PLAIN_HTTP_REGISTRIES"
_REGISTRY_CONFIG_ENV = "FASIT_REGISTRY_CONFIG"
_CHART_CACHE_ENV = "FASIT_CHART_CACHE"


def add_chart_options(parser: argparse.ArgumentParser) -> None:
    charts = parser.add_argument_group(
        "oci:// charts",
        "Each assigned version of an oci:// feature is fetched (tag → digest → manifest →"
        " chart layer) to check its Feature.yaml. Registry logins come from a docker-style"
        " config.json, as `helm registry login` writes it.",
    )
    charts.add_argument(
        "--offline",
        action="store_true",
        help="fetch no oci:// chart; their Feature.yaml is not checked (a notice says so)",
    )
    charts.add_argument(
        "--plain-http-registry",
        metavar="HOST[:PORT]",
        action="append",
        default=[],
        help="reach this registry over plain HTTP (repeatable; also "
        f"{PLAIN_HTTP_ENV}, comma-separated). Every other registry is HTTPS",
    )
    charts.add_argument(
        "--registry-config",
        metavar="FILE",
        type=Path,
        help=f"registry logins (default: ${_REGISTRY_CONFIG_ENV}, else the docker config.json"
        " if there is one)",
    )
    charts.add_argument(
        "--registry-ca-bundle", metavar="FILE", type=Path, help="PEM file of CAs to trust"
    )
    charts.add_argument(
        "--registry-timeout",
        metavar="SECONDS",
        type=seconds,
        default=REGISTRY_READ_TIMEOUT,
        help="give up on a registry answer after this long (default: %(default)s)",
    )
    charts.add_argument(
        "--chart-cache",
        metavar="DIR",
        type=Path,
        help=f"keep fetched charts here by digest (default: ${_CHART_CACHE_ENV}, else"
        " ~/.cache/fasit/charts)",
    )


@contextmanager
def oci_fetcher(args: argparse.Namespace) -> Iterator[FetchOci | None]:
    """What fetches oci:// charts as the options say; None with --offline.

    The registry logins are read now (an unusable file is exit 2 whatever the charts); the
    resolver is made at the first fetch, so a tree of in-repo charts never loads it.
    """
    if args.offline:
        yield None
        return
    credentials = _credentials(args)
    made: list[OciCharts] = []

    def fetch(wanted: list[OciWanted]) -> Mapping[tuple[str, str], ChartOutcome]:
        if not made:
            made.append(_oci_charts(args, credentials))
        return asyncio.run(made[0].resolve(wanted))

    try:
        yield fetch
    finally:
        for oci in made:
            oci.close()


def oci_charts(args: argparse.Namespace) -> OciCharts | None:
    """The oci:// chart resolver the options describe; None with --offline."""
    return None if args.offline else _oci_charts(args, _credentials(args))


def _oci_charts(args: argparse.Namespace, credentials: RegistryCredentials) -> OciCharts:
    from fasit.charts import OciCharts, OciSettings, RegistryClient, RegistrySettings

    plain_http = [*args.plain_http_registry, *os.environ.get(PLAIN_HTTP_ENV, "").split(",")]
    settings = RegistrySettings(
        credentials=credentials,
        plain_http=frozenset(host.strip() for host in plain_http if host.strip()),
        ca_bundle=args.registry_ca_bundle,
        read_timeout=args.registry_timeout,
    )
    return OciCharts(RegistryClient(settings), OciSettings(cache_dir=_chart_cache(args)))


def _credentials(args: argparse.Namespace) -> RegistryCredentials:
    from fasit.charts import default_docker_config, load_docker_config

    explicit = args.registry_config or os.environ.get(_REGISTRY_CONFIG_ENV)
    # An unusable credentials file is CouldNotRun (CredentialsError): the CLI exits 2 on it.
    if explicit:
        return load_docker_config(Path(explicit))
    return load_docker_config(default_docker_config(), missing_ok=True)


def _chart_cache(args: argparse.Namespace) -> Path:
    if args.chart_cache is not None:
        return Path(args.chart_cache)
    if os.environ.get(_CHART_CACHE_ENV):
        return Path(os.environ[_CHART_CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fasit" / "charts"

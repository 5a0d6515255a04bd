"""Charts: resolve (chart location, version) into a chart with its digest and Feature.yaml.

Two backends: charts in the state repository, and oci:// charts in registries. Both read what
the plan's values check needs (defaults and schemas, subcharts' too) as a `ChartSchema`.
In-repo charts are packaged and held for agents to download (`ChartArchives`). Knows nothing
of plans or deploys.

The OCI backend and its registry client (requests and its HTTP stack) load when one of their
names is first used, not with the package: a plan of in-repo charts (`fasit validate` of most
repositories) never pays for them.
"""

import importlib
from typing import TYPE_CHECKING

from fasit.charts.chart_schema import ChartSchema, Subchart, text_keys
from fasit.charts.credentials import (
    Credential,
    CredentialsError,
    RegistryCredentials,
    default_docker_config,
    load_docker_config,
)
from fasit.charts.inrepo import InRepoCharts
from fasit.charts.package import PackagedChart, package_chart
from fasit.charts.resolved import ChartOutcome, OciWanted, ResolvedChart, Unavailable
from fasit.charts.served import (
    ARCHIVES_PATH,
    DEFAULT_ARCHIVE_BUDGET,
    ChartArchives,
    ServedChart,
    archive_digest,
)

if TYPE_CHECKING:
    from fasit.charts.oci import OciCharts, OciSettings, TagChange
    from fasit.charts.registry import RegistryClient, RegistrySettings
    from fasit.charts.registry_errors import RegistryError, RegistryFailure

_REGISTRY_SIDE = {
    "OciCharts": "fasit.charts.oci",
    "OciSettings": "fasit.charts.oci",
    "TagChange": "fasit.charts.oci",
    "RegistryClient": "fasit.charts.registry",
    "RegistrySettings": "fasit.charts.registry",
    "RegistryError": "fasit.charts.registry_errors",
    "RegistryFailure": "fasit.charts.registry_errors",
}
"""The names that load their module on first use (module `__getattr__`, PEP 562)."""

__all__ = [
    "ARCHIVES_PATH",
    "DEFAULT_ARCHIVE_BUDGET",
    "ChartArchives",
    "ChartOutcome",
    "ChartSchema",
    "Credential",
    "CredentialsError",
    "InRepoCharts",
    "OciCharts",
    "OciSettings",
    "OciWanted",
    "PackagedChart",
    "RegistryClient",
    "RegistryCredentials",
    "RegistryError",
    "RegistryFailure",
    "RegistrySettings",
    "ResolvedChart",
    "ServedChart",
    "Subchart",
    "TagChange",
    "Unavailable",
    "archive_digest",
    "default_docker_config",
    "load_docker_config",
    "package_chart",
    "text_keys",
]


def __getattr__(name: str) -> object:
    module = _REGISTRY_SIDE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain one
    return value

"""Charts: resolve (chart location, version) into a chart with its digest and Feature.yaml.

Two backends: charts in the state repository, and oci:// charts in registries. Both read what
the plan's values check needs (defaults and schemas, subcharts' too) as a `ChartSchema`.
In-repo charts are packaged and held for agents to download (`ChartArchives`). Knows nothing
of plans or deploys.
"""

from fasit.charts.chart_schema import ChartSchema, Subchart, text_keys
from fasit.charts.credentials import (
    Credential,
    CredentialsError,
    RegistryCredentials,
    default_docker_config,
    load_docker_config,
)
from fasit.charts.inrepo import InRepoCharts
from fasit.charts.oci import OciCharts, OciSettings, OciWanted, TagChange
from fasit.charts.package import PackagedChart, package_chart
from fasit.charts.registry import RegistryClient, RegistryError, RegistryFailure, RegistrySettings
from fasit.charts.resolved import ChartOutcome, ResolvedChart, Unavailable
from fasit.charts.served import (
    ARCHIVES_PATH,
    DEFAULT_ARCHIVE_BUDGET,
    ChartArchives,
    ServedChart,
    archive_digest,
)

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

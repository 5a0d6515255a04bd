"""OCI chart references: `oci://host[:port]/path/name`, and the tag a chart version is pushed as.

The grammar is the OCI distribution spec's (lowercase path components separated by `.`, `_`,
`__` or dashes; tags of up to 128 word characters, dots and dashes). Helm pushes a version with
`+` (semver build metadata) as a tag with `_`, since tags cannot hold `+`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["OCI_SCHEME", "OciChart", "parse_oci_chart"]

OCI_SCHEME: Final = "oci://"

_HOST: Final = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"(?::[0-9]{1,5})?"
)
_COMPONENT: Final = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True, slots=True)
class OciChart:
    """Where a chart lives in a registry: `registry` (host[:port]) and `repository` (path/name)."""

    registry: str
    repository: str

    @property
    def name(self) -> str:
        """The chart's name: the last path component, which Helm requires Chart.yaml to carry."""
        return self.repository.rsplit("/", 1)[-1]

    @property
    def url(self) -> str:
        return f"{OCI_SCHEME}{self.registry}/{self.repository}"

    def tag(self, version: str) -> str:
        """The tag `version` is pushed as (Helm's rule: `+` becomes `_`); ValueError if none."""
        tag = version.replace("+", "_")
        if not _TAG.fullmatch(tag):
            raise ValueError(f"version {version!r} cannot be an OCI tag")
        return tag

    def pinned(self, digest: str) -> str:
        """The digest-pinned reference agents pull: `oci://host/path/name@sha256:…`."""
        return f"{self.url}@{digest}"


def parse_oci_chart(chart: str) -> OciChart:
    """`oci://host[:port]/path/name` as an OciChart; ValueError saying what is wrong."""
    if not chart.startswith(OCI_SCHEME):
        raise ValueError(f"{chart!r} does not start with {OCI_SCHEME}")
    host, _, repository = chart.removeprefix(OCI_SCHEME).partition("/")
    if not _HOST.fullmatch(host):
        raise ValueError(f"{chart!r}: {host!r} is not a registry host[:port]")
    if not repository:
        raise ValueError(f"{chart!r} names no repository (oci://host/path/name)")
    if "@" in repository or ":" in repository:
        raise ValueError(f"{chart!r}: give the version in the Assignment, not a tag or digest")
    for component in repository.split("/"):
        if not _COMPONENT.fullmatch(component):
            raise ValueError(
                f"{chart!r}: repository component {component!r} must be lowercase letters and"
                " digits, separated by '.', '_', '__' or '-'"
            )
    return OciChart(host, repository)

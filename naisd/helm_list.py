"""Reading helm's output: `helm list -o json`, and what went wrong when helm failed.

Pure functions over text, so the shapes helm prints are tested without running helm.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from naisd.errors import NaisdError
from naisd.work import Release

__all__ = ["HelmFailed", "ListedRelease", "helm_error", "parse_list"]

# "name-1.2.3" → ("name", "1.2.3"): helm joins chart name and version with a dash, and both may
# hold dashes; the version is the last dash-separated part that starts like x.y.z.
_CHART = re.compile(r"^(?P<name>.+)-(?P<version>v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$")
# helm's time format: "2026-11-21 10:20:30.123456789 +0000 UTC"
_UPDATED = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d+))? ([+-]\d{4})")


class HelmFailed(NaisdError):
    """A helm query (list, get metadata) failed; the inventory reports it as its error."""


@dataclass(frozen=True, slots=True)
class ListedRelease:
    """One entry of `helm list -o json`."""

    name: str
    namespace: str
    chart: str
    version: str
    status: str
    revision: int
    updated_ms: int

    def release(self, release_hash: str) -> Release:
        return Release(
            name=self.name,
            namespace=self.namespace,
            chart=self.chart,
            version=self.version,
            release_hash=release_hash,
            status=self.status,
            revision=self.revision,
            updated_ms=self.updated_ms,
        )


def parse_list(text: str) -> list[ListedRelease]:
    """The releases of `helm list --output json`; HelmFailed names what was unexpected."""
    try:
        entries = json.loads(text or "[]")
        if not isinstance(entries, list):
            raise TypeError("not a JSON list")
        return [_listed(entry) for entry in entries]
    except (ValueError, TypeError, KeyError) as exc:
        raise HelmFailed(f"unexpected output of helm list: {exc!r}: {text[:200]!r}") from exc


def _listed(entry: dict[str, object]) -> ListedRelease:
    chart = str(entry.get("chart", ""))
    match = _CHART.match(chart)
    return ListedRelease(
        name=str(entry["name"]),
        namespace=str(entry["namespace"]),
        chart=match["name"] if match else chart,
        version=match["version"] if match else "",
        status=str(entry.get("status", "")),
        revision=int(str(entry["revision"])),
        updated_ms=_updated_ms(str(entry.get("updated", ""))),
    )


def _updated_ms(text: str) -> int:
    match = _UPDATED.match(text)
    if match is None:
        return 0
    fraction = (match[2] or "0")[:6].ljust(6, "0")
    moment = datetime.strptime(f"{match[1]}.{fraction} {match[3]}", "%Y-%m-%d %H:%M:%S.%f %z")
    return int(moment.timestamp() * 1000)


# Words helm puts before the cause, saying nothing of it.
_GENERIC = re.compile(r"^(?:Error: )?(?:(?:UPGRADE|INSTALLATION) FAILED: )?")
_CAUSE_LIMIT = 300


def helm_error(lines: Sequence[str]) -> str:
    """What went wrong, on one line: helm's last `Error: …` with every line after it (a Go
    error spans lines: a template error names the place, the expression, the cause; a schema
    error lists the charts, then each violation), without helm's generic prefixes ("Error: ",
    "UPGRADE FAILED: ") and without blank or `WARNING:` lines; else the last meaningful line;
    "" if there is none. At most 300 characters (the whole output is in the instruction's log)."""
    meaningful = [line.strip() for line in lines if _meaningful(line)]
    starts = [index for index, line in enumerate(meaningful) if line.startswith("Error:")]
    kept = meaningful[starts[-1] :] if starts else meaningful[-1:]
    if not kept:
        return ""
    cause = " ".join([_GENERIC.sub("", kept[0]), *kept[1:]]).strip() or kept[0]
    return cause if len(cause) <= _CAUSE_LIMIT else cause[: _CAUSE_LIMIT - 1] + "…"


def _meaningful(line: str) -> bool:
    text = line.strip()
    return bool(text) and not text.startswith("WARNING:")

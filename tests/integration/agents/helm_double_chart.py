"""The helm double's chart work, done by the real Helm engine (helm-python-sdk: Helm v4.2.3 as a
shared library): locating CHART (a pull from an OCI registry, or a local path), reading the
values file, rendering the templates into a release manifest.

Only `helm upgrade` in helm_double.py imports this module; loading the library takes tens of
milliseconds and 85 MB, which `helm list` and `helm get metadata` do not need.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import helm_python


class ChartFailed(Exception):
    """CHART or the `-f` file could not be had; helm prints the message bare, `Error: …`."""


class TemplateFailed(Exception):
    """Rendering failed (a template, or the values against the chart's schema); helm's own
    message, which an upgrade prints after `Error: UPGRADE FAILED: `."""


@dataclass(frozen=True)
class Rendered:
    """What an upgrade stores: the chart's name and versions, the values, the manifest."""

    chart: str
    version: str
    app_version: str
    values: dict[str, object]
    manifest: str


def render_release(
    reference: str,
    version: str,
    values_file: str,
    *,
    plain_http: bool,
    release: str,
    namespace: str,
    revision: int,
) -> Rendered:
    """CHART located and checked (`_located`), the `-f` file read by Helm's own parser, the
    templates rendered by Helm's engine for this release and revision."""
    with _located(reference, version, plain_http=plain_http) as chart:
        values = _values(values_file)
        try:
            rendered = chart.render(
                values,
                name=release,
                namespace=namespace,
                revision=revision,
                is_install=revision == 1,
                is_upgrade=revision > 1,
            )
        except helm_python.HelmError as exc:
            raise TemplateFailed(str(exc)) from None
        return Rendered(
            chart.name,
            chart.version,
            str(chart.metadata.get("appVersion", "")),
            values,
            _manifest(rendered),
        )


def _manifest(rendered: dict[str, str]) -> str:
    """The templates as helm stores them in a release: `---`, a `# Source:` line, the document.
    NOTES.txt and templates that render to nothing are left out, as helm does; documents come
    in path order (helm orders them by kind)."""
    return "".join(
        f"---\n# Source: {path}\n{text.strip()}\n"
        for path, text in sorted(rendered.items())
        if text.strip() and Path(path).name != "NOTES.txt"
    )


@contextmanager
def _located(reference: str, version: str, *, plain_http: bool) -> Iterator[helm_python.Chart]:
    """CHART as helm locates it: `oci://HOST/REPO/NAME@sha256:…` (or `…/NAME` with the tag
    --version) pulled from the registry, else a local chart archive or directory."""
    if not reference.startswith("oci://"):
        if not Path(reference).exists():
            raise ChartFailed(f'path "{reference}" not found')
        with _loaded(Path(reference), reference, version) as chart:
            yield chart
        return
    with tempfile.TemporaryDirectory(prefix="helm-double-pull-") as scratch:
        pinned = "@sha256:" in reference
        try:
            helm_python.pull(
                reference,
                destination=scratch,
                version=None if pinned else version,
                plain_http=plain_http,
            )
        except helm_python.HelmError as exc:
            raise ChartFailed(str(exc)) from None
        [archive] = Path(scratch).iterdir()
        with _loaded(archive, reference, version) as chart:
            yield chart


@contextmanager
def _loaded(path: Path, reference: str, version: str) -> Iterator[helm_python.Chart]:
    try:
        chart = helm_python.Chart.load(path)
    except helm_python.HelmError as exc:
        raise ChartFailed(str(exc)) from None
    with chart:
        # Real helm checks instead that the tag --version, if the registry has it, points at the
        # pinned digest; the double checks what that is for: the chart is the version asked for.
        if chart.version != version:
            raise ChartFailed(f"chart {reference} is version {chart.version}, not {version}")
        yield chart


def _values(path: str) -> dict[str, object]:
    """A `-f` file (YAML; the JSON naisd writes is YAML)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ChartFailed(f"open {path}: {exc.strerror}") from None
    try:
        return helm_python.values_from_yaml(text)
    except helm_python.HelmError as exc:
        raise ChartFailed(f"failed to parse {path}: {exc}") from None

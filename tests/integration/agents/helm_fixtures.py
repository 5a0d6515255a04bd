"""The helm test double on PATH, with its cluster directory and call log, and charts pushed to
the real test registry for it to pull."""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from naisd import HelmExecutor
from tests.integration.agents.helm_double import Release, read_release, release_path
from tests.integration.oci_registry import Chart, OciRegistry

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class ChartRef:
    """A chart as an instruction names it."""

    chart: str
    """oci://HOST:PORT/REPOSITORY (no tag), or a local path."""
    digest: str
    """The manifest's digest, which pins an oci:// chart; "" for a local one."""
    version: str


@dataclass
class HelmDouble:
    """`environ` runs `helm` as the double (first on PATH); `calls()` is what it was asked."""

    bin: Path
    cluster: Path
    calls_file: Path
    environ: dict[str, str]
    registry: OciRegistry
    """Plain HTTP: helm needs `--plain-http` for it."""
    web: ChartRef
    """web 1.0.0 (a ConfigMap named for the release, holding `.Values.replicas`), pushed."""

    def push(self, chart: Chart) -> ChartRef:
        return push_chart(self.registry, chart)

    def executor(self, **options: float) -> HelmExecutor:
        """A HelmExecutor running the double, told the registry is plain HTTP."""
        return HelmExecutor(
            "helm", environ=self.environ, plain_http_registries={self.registry.host}, **options
        )

    def calls(self) -> list[list[str]]:
        if not self.calls_file.exists():
            return []
        lines = self.calls_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["argv"] for line in lines]

    def pids(self, command: str) -> list[int]:
        lines = self.calls_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(x)["pid"] for x in lines if json.loads(x)["argv"][0] == command]

    def release(self, namespace: str, name: str) -> Release | None:
        return read_release(release_path(self.cluster, namespace, name))


def make_helm_double(tmp_path: Path, registry: OciRegistry) -> HelmDouble:
    """The double in `tmp_path` (bin/helm, cluster/, helm-calls.jsonl); web 1.0.0 pushed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "helm"
    # -P and PYTHONPATH: the double's modules come from this checkout, whatever the cwd.
    script.write_text(
        f'#!/bin/sh\nexport PYTHONPATH="{ROOT}"\n'
        f'exec "{sys.executable}" -P -m tests.integration.agents.helm_double "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    environ = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_HELM_CLUSTER": str(tmp_path / "cluster"),
        "FAKE_HELM_CALLS": str(tmp_path / "helm-calls.jsonl"),
    }
    web = push_chart(registry, Chart.helm("web", "1.0.0"))
    return HelmDouble(
        bin_dir, tmp_path / "cluster", tmp_path / "helm-calls.jsonl", environ, registry, web
    )


def push_chart(registry: OciRegistry, chart: Chart) -> ChartRef:
    """Push `chart` to a repository of its own (the registry is shared by the session)."""
    repository = f"helm-double/{secrets.token_hex(6)}/{chart.name}"
    pushed = registry.push_chart(repository, chart)
    return ChartRef(registry.url(repository), pushed.manifest, chart.version)

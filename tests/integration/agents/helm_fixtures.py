"""The helm test double on PATH, with its cluster directory and call log, and a local chart."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

DOUBLE = Path(__file__).with_name("helm_double.py")


@dataclass
class HelmDouble:
    """`environ` runs `helm` as the double (first on PATH); `calls()` is what it was asked."""

    bin: Path
    cluster: Path
    calls_file: Path
    environ: dict[str, str]
    chart: Path
    """A local chart directory: web 1.0.0."""

    def calls(self) -> list[list[str]]:
        if not self.calls_file.exists():
            return []
        lines = self.calls_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["argv"] for line in lines]

    def pids(self, command: str) -> list[int]:
        lines = self.calls_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(x)["pid"] for x in lines if json.loads(x)["argv"][0] == command]

    def release(self, namespace: str, name: str) -> dict[str, object] | None:
        path = self.cluster / namespace / f"{name}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def make_helm_double(tmp_path: Path) -> HelmDouble:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "helm"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{DOUBLE}" "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    chart = tmp_path / "charts" / "web"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: web\nversion: 1.0.0\nappVersion: '2.4'\n", encoding="utf-8"
    )
    cluster = tmp_path / "cluster"
    calls = tmp_path / "helm-calls.jsonl"
    environ = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_HELM_CLUSTER": str(cluster),
        "FAKE_HELM_CALLS": str(calls),
        # The double imports only yaml: keep it from loading this project from a stray path.
        "PYTHONPATH": "",
    }
    return HelmDouble(bin_dir, cluster, calls, environ, chart)

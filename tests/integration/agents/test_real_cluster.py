"""The helm executor against a real cluster: opt in with FASIT_REAL_KUBECONFIG (and helm on
PATH). It covers what the helm test double cannot: applying, waiting, the real helm CLI's own
argument handling, the release hash read back from a real release. Skipped where neither
exists (as in CI)."""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
from pathlib import Path

import pytest

from naisd import Action, HelmExecutor, LogKind, Outcome, Work

pytestmark = [
    pytest.mark.real_cluster,
    pytest.mark.skipif(
        not os.environ.get("FASIT_REAL_KUBECONFIG") or shutil.which("helm") is None,
        reason="needs FASIT_REAL_KUBECONFIG and the helm CLI",
    ),
]


async def test_install_inventory_and_uninstall_on_a_real_cluster(tmp_path: Path) -> None:
    chart = tmp_path / "hello"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: hello\nversion: 0.1.0\n")
    (chart / "templates" / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
    )
    namespace = f"fasit-test-{secrets.token_hex(3)}"
    release_hash = "sha256:" + secrets.token_hex(32)
    environ = {**os.environ, "KUBECONFIG": os.environ["FASIT_REAL_KUBECONFIG"]}
    executor = HelmExecutor("helm", environ=environ)
    work = Work(
        id="real-1",
        release="hello",
        namespace=namespace,
        chart=str(chart),
        digest="",
        version="0.1.0",
        values={"greeting": "hei"},
        release_hash=release_hash,
        timeout=120,
        action=Action.INSTALL,
    )
    lines: list[tuple[LogKind, str]] = []

    installed = await executor.apply(work, lambda kind, text: lines.append((kind, text)))
    try:
        assert installed.outcome is Outcome.DEPLOYED, lines
        inventory = await HelmExecutor("helm", environ=environ).inventory()
        mine = [r for r in inventory.releases if r.namespace == namespace]
        assert [(r.name, r.version, r.release_hash) for r in mine] == [
            ("hello", "0.1.0", release_hash)
        ]
    finally:
        removed = await executor.apply(
            dataclasses.replace(work, action=Action.UNINSTALL), lambda kind, text: None
        )
    assert removed.outcome is Outcome.UNINSTALLED

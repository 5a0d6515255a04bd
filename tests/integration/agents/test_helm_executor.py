"""The helm executor against the helm test double first on PATH (see helm_double.py for what
the double does not cover)."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest

from naisd import Action, HelmExecutor, LogKind, Outcome, Work
from naisd.helm import HASH_LABEL
from tests.integration.agents.helm_fixtures import HelmDouble

HASH = "sha256:" + "ab" * 32


def _work(chart: Path, **changes: object) -> Work:
    fields: dict[str, object] = {
        "id": "i-1",
        "release": "web",
        "namespace": "apps",
        "chart": str(chart),
        "digest": "",
        "version": "1.0.0",
        "values": {"replicas": 2},
        "release_hash": HASH,
        "timeout": 30.0,
        "action": Action.INSTALL,
    }
    fields.update(changes)
    return Work(**fields)  # type: ignore[arg-type]


class Lines:
    def __init__(self) -> None:
        self.lines: list[tuple[LogKind, str]] = []

    def __call__(self, kind: LogKind, text: str) -> None:
        self.lines.append((kind, text))


def _executor(double: HelmDouble, **options: float) -> HelmExecutor:
    return HelmExecutor("helm", environ=double.environ, **options)


async def test_an_install_runs_helm_upgrade_with_exactly_the_designed_arguments(
    helm_double: HelmDouble,
) -> None:
    await _executor(helm_double).apply(_work(helm_double.chart), Lines())

    upgrade = helm_double.calls()[0]
    values_file = upgrade[upgrade.index("-f") + 1]
    label = base64.b32encode(bytes.fromhex("ab" * 32)).decode().rstrip("=").lower()
    assert upgrade == [
        "upgrade", "--install", "--atomic", "--cleanup-on-fail", "--history-max", "10",
        "--namespace", "apps", "--create-namespace", "--version", "1.0.0",
        "-f", values_file, "--timeout", "30s",
        "--labels", f"{HASH_LABEL}={label}", "web", str(helm_double.chart),
    ]  # fmt: skip
    assert len(label) <= 63
    assert not Path(values_file).exists()


async def test_an_install_reports_the_release_with_its_hash_and_streams_helm_output(
    helm_double: HelmDouble,
) -> None:
    lines = Lines()

    applied = await _executor(helm_double).apply(_work(helm_double.chart), lines)

    assert applied.outcome is Outcome.DEPLOYED
    assert applied.release is not None
    assert (applied.release.name, applied.release.chart, applied.release.version) == (
        "web",
        "web",
        "1.0.0",
    )
    assert (applied.release.status, applied.release.revision) == ("deployed", 1)
    assert applied.release.release_hash == HASH
    assert (LogKind.STDOUT, "STATUS: deployed") in lines.lines
    stored = helm_double.release("apps", "web")
    assert stored is not None
    assert stored["values"] == {"replicas": 2, "fasit": {"releaseHash": HASH}}


async def test_a_failing_upgrade_reports_helms_error_line(helm_double: HelmDouble) -> None:
    helm_double.environ["FAKE_HELM_FAIL"] = "timed out waiting for the condition"

    applied = await _executor(helm_double).apply(_work(helm_double.chart), Lines())

    assert applied.outcome is Outcome.FAILED
    assert applied.error == (
        "helm upgrade exited 1: Error: UPGRADE FAILED: timed out waiting for the condition"
    )
    assert applied.release is not None
    assert applied.release.status == "failed"


async def test_helm_still_running_past_timeout_and_margin_is_killed(
    helm_double: HelmDouble, tmp_path: Path
) -> None:
    helm_double.environ["FAKE_HELM_HANG"] = str(tmp_path / "never")
    executor = _executor(helm_double, timeout_margin=0.0, kill_grace=2.0)

    applied = await executor.apply(_work(helm_double.chart, timeout=0.3), Lines())

    assert applied.outcome is Outcome.FAILED
    assert applied.error == ("helm upgrade still ran after 0.3 s (timeout + margin) and was killed")
    assert _gone(helm_double.pids("upgrade")[0])


async def test_helm_that_ignores_sigterm_is_killed_after_the_grace(
    helm_double: HelmDouble, tmp_path: Path
) -> None:
    helm_double.environ |= {"FAKE_HELM_HANG": str(tmp_path / "never"), "FAKE_HELM_IGNORE_TERM": "1"}
    executor = _executor(helm_double, timeout_margin=0.0, kill_grace=0.2)

    applied = await executor.apply(_work(helm_double.chart, timeout=0.3), Lines())

    assert applied.outcome is Outcome.FAILED
    assert _gone(helm_double.pids("upgrade")[0])


async def test_a_cancelled_apply_stops_helm_before_it_returns(
    helm_double: HelmDouble, tmp_path: Path
) -> None:
    helm_double.environ["FAKE_HELM_HANG"] = str(tmp_path / "never")
    lines = Lines()
    task = asyncio.create_task(_executor(helm_double).apply(_work(helm_double.chart), lines))
    while (LogKind.STDOUT, "waiting for resources to be ready") not in lines.lines:
        await asyncio.sleep(0.02)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert _gone(helm_double.pids("upgrade")[0])
    assert (LogKind.STDOUT, "Release web has been cancelled.") in lines.lines


async def test_an_uninstall_runs_helm_uninstall_and_a_missing_release_counts_as_gone(
    helm_double: HelmDouble,
) -> None:
    executor = _executor(helm_double)
    await executor.apply(_work(helm_double.chart), Lines())

    first = await executor.apply(_work(helm_double.chart, action=Action.UNINSTALL), Lines())
    again = await executor.apply(_work(helm_double.chart, action=Action.UNINSTALL), Lines())

    assert helm_double.calls()[-1] == [
        "uninstall",
        "web",
        "--namespace",
        "apps",
        "--timeout",
        "30s",
    ]
    assert (first.outcome, again.outcome) == (Outcome.UNINSTALLED, Outcome.UNINSTALLED)
    assert helm_double.release("apps", "web") is None


async def test_the_inventory_reads_each_release_hash_back_from_helm(
    helm_double: HelmDouble,
) -> None:
    executor = _executor(helm_double)
    await executor.apply(_work(helm_double.chart), Lines())
    await executor.apply(_work(helm_double.chart, namespace="other", release_hash=""), Lines())

    inventory = await HelmExecutor("helm", environ=helm_double.environ).inventory()  # no cache

    assert inventory.error == ""
    assert [(r.namespace, r.name, r.version, r.release_hash) for r in inventory.releases] == [
        ("apps", "web", "1.0.0", HASH),
        ("other", "web", "1.0.0", ""),
    ]
    assert ["list", "--all-namespaces", "--all", "--output", "json"] in helm_double.calls()


async def test_a_release_deployed_by_hand_reports_no_hash(helm_double: HelmDouble) -> None:
    path = helm_double.cluster / "kube-system" / "manual.json"
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps(
            {
                "name": "manual", "namespace": "kube-system", "revision": 3, "chart": "manual",
                "version": "0.1.0", "app_version": "", "values": {}, "labels": {},
                "status": "deployed", "updated": "2026-11-21 10:00:00.5 +0000 UTC",
            }
        ),
        encoding="utf-8",
    )  # fmt: skip

    inventory = await _executor(helm_double).inventory()

    assert [(r.name, r.revision, r.release_hash) for r in inventory.releases] == [("manual", 3, "")]
    assert inventory.releases[0].updated_ms == 1_795_255_200_500


def _gone(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"

"""The helm executor against the helm test double first on PATH, which pulls charts from the
real test registry and renders them with the real Helm engine (see helm_double.py for what the
double does not cover)."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
from pathlib import Path

import pytest

from naisd import Action, HelmExecutor, LogKind, Outcome, Work
from naisd.helm import upgrade_args
from naisd.helm_labels import HASH_LABEL, hash_label
from tests.integration.agents.helm_double import release_path, write_release
from tests.integration.agents.helm_fixtures import ChartRef, HelmDouble
from tests.integration.oci_registry import CONFIGMAP_TEMPLATE, Chart

HASH = "sha256:" + "ab" * 32
STRICT_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {"replicas": {}}}


def _work(chart: ChartRef, **changes: object) -> Work:
    fields: dict[str, object] = {
        "id": "i-1",
        "release": "web",
        "namespace": "apps",
        "chart": chart.chart,
        "digest": chart.digest,
        "version": chart.version,
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


async def test_an_install_runs_helm_upgrade_with_exactly_the_designed_arguments(
    helm_double: HelmDouble,
) -> None:
    web = helm_double.web

    await helm_double.executor().apply(_work(web), Lines())

    upgrade = helm_double.calls()[0]
    values_file = upgrade[upgrade.index("-f") + 1]
    label = base64.b32encode(bytes.fromhex("ab" * 32)).decode().rstrip("=").lower()
    assert upgrade == [
        "upgrade", "--install", "--rollback-on-failure", "--cleanup-on-fail", "--history-max", "10",
        "--namespace", "apps", "--create-namespace", "--version", "1.0.0", "--plain-http",
        "-f", values_file, "--timeout", "30s",
        "--labels", f"{HASH_LABEL}={label}", "web", f"{web.chart}@{web.digest}",
    ]  # fmt: skip
    assert len(label) <= 63
    assert not Path(values_file).exists()


async def test_an_install_reports_the_release_with_its_hash_and_streams_helm_output(
    helm_double: HelmDouble,
) -> None:
    lines = Lines()

    applied = await helm_double.executor().apply(_work(helm_double.web), lines)

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
    assert stored["values"] == {"replicas": 2}


async def test_a_failing_upgrade_reports_helms_error(helm_double: HelmDouble) -> None:
    await helm_double.executor().apply(_work(helm_double.web), Lines())
    helm_double.environ["FAKE_HELM_FAIL"] = "timed out waiting for the condition"

    applied = await helm_double.executor().apply(_work(helm_double.web), Lines())

    assert applied.outcome is Outcome.FAILED
    assert applied.error == "timed out waiting for the condition"
    assert applied.release is not None
    assert applied.release.status == "failed"


async def test_helm_still_running_past_timeout_and_margin_is_killed(
    helm_double: HelmDouble, tmp_path: Path
) -> None:
    helm_double.environ["FAKE_HELM_HANG"] = str(tmp_path / "never")
    executor = helm_double.executor(timeout_margin=0.0, kill_grace=2.0)

    applied = await executor.apply(_work(helm_double.web, timeout=0.3), Lines())

    assert applied.outcome is Outcome.FAILED
    assert applied.error == ("helm upgrade still ran after 0.3 s (timeout + margin) and was killed")
    assert _gone(helm_double.pids("upgrade")[0])


async def test_helm_that_ignores_sigterm_is_killed_after_the_grace(
    helm_double: HelmDouble, tmp_path: Path
) -> None:
    helm_double.environ |= {"FAKE_HELM_HANG": str(tmp_path / "never"), "FAKE_HELM_IGNORE_TERM": "1"}
    executor = helm_double.executor(timeout_margin=0.0, kill_grace=0.2)

    applied = await executor.apply(_work(helm_double.web, timeout=0.3), Lines())

    assert applied.outcome is Outcome.FAILED
    assert _gone(helm_double.pids("upgrade")[0])


async def test_a_cancelled_apply_stops_helm_before_it_returns(
    helm_double: HelmDouble, tmp_path: Path
) -> None:
    helm_double.environ["FAKE_HELM_HANG"] = str(tmp_path / "never")
    lines = Lines()
    task = asyncio.create_task(helm_double.executor().apply(_work(helm_double.web), lines))
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
    executor = helm_double.executor()
    await executor.apply(_work(helm_double.web), Lines())

    first = await executor.apply(_work(helm_double.web, action=Action.UNINSTALL), Lines())
    again = await executor.apply(_work(helm_double.web, action=Action.UNINSTALL), Lines())

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
    executor = helm_double.executor()
    await executor.apply(_work(helm_double.web), Lines())
    await executor.apply(_work(helm_double.web, namespace="other", release_hash=""), Lines())

    inventory = await HelmExecutor("helm", environ=helm_double.environ).inventory()  # no cache

    assert inventory.error == ""
    assert [(r.namespace, r.name, r.version, r.release_hash) for r in inventory.releases] == [
        ("apps", "web", "1.0.0", HASH),
        ("other", "web", "1.0.0", ""),
    ]
    assert [
        "list", "--all-namespaces", "--all", "--max", "0", "--output", "json"
    ] in helm_double.calls()  # fmt: skip
    assert [
        "get", "metadata", "web", "--namespace", "apps", "--revision", "1", "--output", "json"
    ] in helm_double.calls()  # fmt: skip


async def test_the_release_hash_is_the_label_of_the_running_revision_not_a_value(
    helm_double: HelmDouble,
) -> None:
    executor = helm_double.executor()
    await executor.apply(_work(helm_double.web), Lines())

    applied = await executor.apply(_work(helm_double.web, release_hash=""), Lines())

    stored = helm_double.release("apps", "web")
    assert stored is not None
    assert (stored["revision"], stored["labels"], stored["values"]) == (2, {}, {"replicas": 2})
    assert applied.release is not None
    assert applied.release.release_hash == ""  # Helm would have kept revision 1's label


async def test_a_drifted_release_reports_the_hash_of_what_runs(helm_double: HelmDouble) -> None:
    await helm_double.executor().apply(_work(helm_double.web), Lines())
    path = release_path(helm_double.cluster, "apps", "web")
    drifted = helm_double.release("apps", "web")
    assert drifted is not None
    other = "sha256:" + "cd" * 32
    drifted["labels"] = {HASH_LABEL: hash_label(other)}  # someone upgraded it by hand
    write_release(path, drifted)

    inventory = await HelmExecutor("helm", environ=helm_double.environ).inventory()

    assert [r.release_hash for r in inventory.releases] == [other]


async def test_a_chart_whose_schema_forbids_unknown_keys_installs_with_the_planned_values(
    helm_double: HelmDouble,
) -> None:
    strict = Chart.helm("web", "1.0.0")
    strict.files["values.schema.json"] = json.dumps(STRICT_SCHEMA)

    applied = await helm_double.executor().apply(_work(helm_double.push(strict)), Lines())

    assert applied.outcome is Outcome.DEPLOYED, applied.error
    assert applied.release is not None
    assert applied.release.release_hash == HASH


async def test_a_schema_violation_fails_with_helms_cause_on_one_line(
    helm_double: HelmDouble,
) -> None:
    strict = Chart.helm("web", "1.0.0")
    strict.files["values.schema.json"] = json.dumps(STRICT_SCHEMA)
    work = _work(helm_double.push(strict), values={"replicas": 2, "x": 1})

    applied = await helm_double.executor().apply(work, Lines())

    assert applied.outcome is Outcome.FAILED
    assert applied.error == (
        "values don't meet the specifications of the schema(s) in the following chart(s):"
        " web: - at '': additional properties 'x' not allowed"
    )


async def test_a_release_deployed_by_hand_reports_no_hash(helm_double: HelmDouble) -> None:
    write_release(
        release_path(helm_double.cluster, "kube-system", "manual"),
        {
            "name": "manual", "namespace": "kube-system", "revision": 3, "chart": "manual",
            "version": "0.1.0", "app_version": "", "values": {}, "manifest": "", "labels": {},
            "status": "deployed", "updated": "2026-11-21 10:00:00.5 +0000 UTC",
        },
    )  # fmt: skip

    inventory = await helm_double.executor().inventory()

    assert [(r.name, r.revision, r.release_hash) for r in inventory.releases] == [("manual", 3, "")]
    assert inventory.releases[0].updated_ms == 1_795_255_200_500


def _gone(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


async def test_the_release_in_the_cluster_holds_the_manifest_rendered_with_the_instruction_values(
    helm_double: HelmDouble,
) -> None:
    await helm_double.executor().apply(_work(helm_double.web, values={"replicas": 3}), Lines())

    stored = helm_double.release("apps", "web")
    assert stored is not None
    assert stored["manifest"] == (
        "---\n# Source: web/templates/configmap.yaml\n"
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  replicas: "3"\n'
    )


async def test_each_upgrade_renders_again_as_the_next_revision(helm_double: HelmDouble) -> None:
    executor = helm_double.executor()
    await executor.apply(_work(helm_double.web, values={"replicas": 3}), Lines())

    applied = await executor.apply(_work(helm_double.web, values={"replicas": 5}), Lines())

    assert applied.release is not None
    assert (applied.release.status, applied.release.revision) == ("deployed", 2)
    stored = helm_double.release("apps", "web")
    assert stored is not None
    assert stored["revision"] == 2
    assert stored["values"] == {"replicas": 5}
    assert 'replicas: "5"' in str(stored["manifest"])


async def test_a_template_error_fails_with_helms_message_and_leaves_the_release_running(
    helm_double: HelmDouble,
) -> None:
    templates = {"configmap.yaml": CONFIGMAP_TEMPLATE, "image.yaml": "{{ .Values.image.tag }}\n"}
    broken = helm_double.push(Chart.helm("web", "1.0.1", templates=templates))
    await helm_double.executor().apply(_work(helm_double.web), Lines())

    applied = await helm_double.executor().apply(_work(broken), Lines())

    assert applied.outcome is Outcome.FAILED
    assert applied.error == (
        'web/templates/image.yaml:1:10 executing "web/templates/image.yaml" at'
        " <.Values.image.tag>: nil pointer evaluating interface {}.tag"
    )
    assert applied.release is not None
    running = applied.release
    assert (running.version, running.status, running.revision) == ("1.0.0", "deployed", 1)


async def test_a_digest_the_registry_does_not_have_fails_with_the_pull_error(
    helm_double: HelmDouble,
) -> None:
    missing = ChartRef(helm_double.web.chart, "sha256:" + "0" * 64, "1.0.0")

    applied = await helm_double.executor().apply(_work(missing), Lines())

    assert applied.outcome is Outcome.FAILED
    assert applied.error == (
        'failed to perform "FetchReference" on source:'
        f" {missing.chart.removeprefix('oci://')}@{missing.digest}: not found"
    )
    assert applied.release is None


async def test_helm_pulls_over_https_from_a_registry_naisd_was_not_told_is_plain_http(
    helm_double: HelmDouble,
) -> None:
    web = helm_double.web
    executor = HelmExecutor("helm", environ=helm_double.environ)  # no plain-HTTP registries

    applied = await executor.apply(_work(web), Lines())

    assert "--plain-http" not in helm_double.calls()[0]
    assert applied.outcome is Outcome.FAILED
    repository = web.chart.removeprefix(f"oci://{helm_double.registry.host}/")
    assert applied.error == (
        'failed to perform "FetchReference" on source: Get'
        f' "https://{helm_double.registry.host}/v2/{repository}/manifests/{web.digest}":'
        " http: server gave HTTP response to HTTPS client"
    )


async def test_a_pulled_chart_of_another_version_than_the_instructions_fails(
    helm_double: HelmDouble,
) -> None:
    web = helm_double.web

    applied = await helm_double.executor().apply(_work(web, version="1.0.1"), Lines())

    assert applied.outcome is Outcome.FAILED
    assert applied.error == f"chart {web.chart}@{web.digest} is version 1.0.0, not 1.0.1"
    assert applied.release is None


async def test_a_local_chart_archive_is_installed_as_a_pulled_one_is(
    helm_double: HelmDouble, tmp_path: Path
) -> None:
    archive = tmp_path / "web-1.0.0.tgz"
    archive.write_bytes(Chart.helm("web", "1.0.0").archive())

    local = ChartRef(str(archive), "", "1.0.0")

    applied = await helm_double.executor().apply(_work(local), Lines())

    assert applied.outcome is Outcome.DEPLOYED
    assert helm_double.calls()[0][-1] == str(archive)
    stored = helm_double.release("apps", "web")
    assert stored is not None
    assert 'replicas: "2"' in str(stored["manifest"])


def test_helm_list_shows_256_releases_unless_told_max_0(helm_double: HelmDouble) -> None:
    for index in range(257):
        write_release(
            release_path(helm_double.cluster, "many", f"r{index:03}"),
            {
                "name": f"r{index:03}", "namespace": "many", "revision": 1, "chart": "c",
                "version": "0.1.0", "app_version": "", "values": {}, "manifest": "",
                "labels": {}, "status": "deployed", "updated": "2026-11-21 10:00:00.5 +0000 UTC",
            },
        )  # fmt: skip
    command = [helm_double.bin / "helm", "list", "--all-namespaces", "--all", "--output", "json"]

    default = subprocess.run(command, env=helm_double.environ, capture_output=True, check=True)
    unlimited = subprocess.run(
        [*command, "--max", "0"], env=helm_double.environ, capture_output=True, check=True
    )

    assert len(json.loads(default.stdout)) == 256  # as Helm: --max defaults to 256
    assert len(json.loads(unlimited.stdout)) == 257


@pytest.mark.parametrize(
    ("label", "refusal"),
    [
        pytest.param(
            "owner=fasit",
            "Error: user supplied labels contains system reserved label name.",
            id="reserved by helm",
        ),
        pytest.param(
            f"{HASH_LABEL}={'a' * 64}",
            "must be no more than 63 characters",
            id="too long for kubernetes",
        ),
        pytest.param(
            f"{HASH_LABEL}=sha256:ab",
            "a valid label must be an empty string or consist of alphanumeric characters",
            id="not a kubernetes label value",
        ),
    ],
)
def test_the_double_refuses_labels_helm_or_kubernetes_would(
    helm_double: HelmDouble, tmp_path: Path, label: str, refusal: str
) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("{}", encoding="utf-8")
    web = helm_double.web
    work = _work(web)
    args = [
        arg if arg != f"{HASH_LABEL}={hash_label(HASH)}" else label
        for arg in upgrade_args(work, values, plain_http={helm_double.registry.host})
    ]

    run = subprocess.run(
        [helm_double.bin / "helm", *args], env=helm_double.environ, capture_output=True, text=True
    )

    assert run.returncode == 1
    assert refusal in run.stderr
    assert helm_double.release("apps", "web") is None

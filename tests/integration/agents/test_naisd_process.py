"""naisd as a real process against the helm double: SIGTERM and SIGKILL mid-deploy, and an
in-repo chart fetched from fasit's chart route with the token of its --token-file."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from fasit.agents import (
    AgentConnected,
    AgentHub,
    Instruction,
    Outcome,
    ProgressReported,
    ResultReported,
)
from tests.integration.agents.conftest import TOKENS
from tests.integration.agents.helm_fixtures import HelmDouble
from tests.integration.agents.support import EventLog, make_instruction
from tests.integration.waiting import eventually
from tests.integration.web_server import ChartServer

STOP_BOUND = 10.0  # seconds: the bound for SIGTERM to exit


async def _naisd(
    hub: AgentHub, double: HelmDouble, tmp_path: Path, *extra: str
) -> asyncio.subprocess.Process:
    token = tmp_path / "naisd-token"
    token.write_text(TOKENS["nav/prod"] + "\n", encoding="utf-8")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "naisd",
        "--controller", hub.address, "--environment", "nav/prod", "--token-file", str(token),
        "--executor", "helm", "--plain-http-registry", double.registry.host, *extra,
        env=double.environ,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def _install(double: HelmDouble, release: str = "web") -> Instruction:
    """An install of web 1.0.0 from the test registry, pinned by its digest."""
    return make_instruction(release, chart=double.web.chart, digest=double.web.digest)


async def _mid_deploy(hub: AgentHub, events: EventLog, double: HelmDouble) -> str:
    """Send an install and return its id once helm is waiting (it hangs at FAKE_HELM_HANG)."""
    await events.wait_for(AgentConnected, "naisd's hello")
    instruction = _install(double)
    await hub.send("nav/prod", instruction)
    await events.wait_for(
        ProgressReported,
        "helm to be waiting",
        lambda e: any(line.text == "waiting for resources to be ready" for line in e.lines),
    )
    return instruction.id


async def test_sigterm_mid_deploy_exits_in_time_and_reports_the_work_interrupted(
    hub: AgentHub, events: EventLog, helm_double: HelmDouble, tmp_path: Path
) -> None:
    helm_double.environ["FAKE_HELM_HANG"] = str(tmp_path / "never")
    naisd = await _naisd(hub, helm_double, tmp_path)
    identifier = await _mid_deploy(hub, events, helm_double)

    naisd.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(naisd.communicate(), STOP_BOUND)

    assert naisd.returncode == 0, stderr.decode()
    [reported] = events.results(identifier)
    assert reported.result.outcome is Outcome.FAILED
    assert reported.result.interrupted
    assert reported.result.error.startswith("interrupted: naisd stopped while it ran")
    assert not Path(f"/proc/{helm_double.pids('upgrade')[0]}").exists()
    release = helm_double.release("apps", "web")
    assert release is not None
    assert release["status"] == "failed"  # helm was told to stop, and said so


async def test_after_sigkill_mid_deploy_the_restarted_naisd_reports_once_and_helm_ran_once(
    hub: AgentHub, events: EventLog, helm_double: HelmDouble, tmp_path: Path
) -> None:
    gate = tmp_path / "cluster-ready"
    helm_double.environ["FAKE_HELM_HANG"] = str(gate)
    state = ("--state-dir", str(tmp_path / "state"))
    first = await _naisd(hub, helm_double, tmp_path, *state)
    identifier = await _mid_deploy(hub, events, helm_double)

    first.kill()  # no chance to report; helm, in its own process group, goes on
    await first.wait()
    await eventually(lambda: not hub.connected(), "the stream to break")
    gate.touch()
    await eventually(
        lambda: (helm_double.release("apps", "web") or {}).get("status") == "deployed",
        "helm to finish on its own",
    )
    second = await _naisd(hub, helm_double, tmp_path, *state)
    try:
        result = await events.wait_for(
            ResultReported, "the recovered result", lambda e: e.result.instruction_id == identifier
        )
        await hub.send("nav/prod", _install(helm_double))  # resent
        barrier = _install(helm_double, "barrier")
        await hub.send("nav/prod", barrier)
        await events.wait_for(
            ResultReported, "the barrier", lambda e: e.result.instruction_id == barrier.id
        )
    finally:
        second.terminate()
        await asyncio.wait_for(second.communicate(), STOP_BOUND)

    assert result.result.outcome is Outcome.DEPLOYED
    assert not result.result.interrupted
    assert len(events.results(identifier)) == 1
    upgrades = [call for call in helm_double.calls() if call[0] == "upgrade"]
    assert [call[-2] for call in upgrades] == ["web", "barrier"]


async def test_naisd_installs_a_served_chart_it_fetched_with_its_own_token(
    hub: AgentHub,
    events: EventLog,
    helm_double: HelmDouble,
    tmp_path: Path,
    served_charts: ChartServer,
) -> None:
    web = served_charts.web
    naisd = await _naisd(hub, helm_double, tmp_path)
    try:
        await events.wait_for(AgentConnected, "naisd's hello")
        instruction = make_instruction(chart=web.url, digest=web.digest)
        await hub.send("nav/prod", instruction)
        reported = await events.wait_for(
            ResultReported, "the result", lambda e: e.result.instruction_id == instruction.id
        )
    finally:
        naisd.terminate()
        await asyncio.wait_for(naisd.communicate(), STOP_BOUND)

    assert reported.result.outcome is Outcome.DEPLOYED, reported.result.error
    release = helm_double.release("apps", "web")
    assert release is not None
    assert (release["chart"], release["version"], release["status"]) == ("web", "1.0.0", "deployed")

"""Real desired releases (planned from a small state repository) and the run-time facts around
them, for table tests of decisions and the status ladder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fasit.agents import Action, ReleaseState
from fasit.plan import DesiredRelease
from fasit.reconcile import AgentView, Deploy, DeployState, EnvironmentView, HashHistory
from tests import states

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ENV = "nav/dev"
SESSION = "session-1"


def planned(root: Path) -> dict[str, DesiredRelease]:
    """nav/dev's releases: db 1.0.0, web 1.0.0 (needs db), api 2.0.0, all planned."""
    files = states.state(
        states.environment("nav", "dev"),
        states.feature("db"),
        states.feature("web"),
        states.feature("api"),
        states.chart("db", "1.0.0"),
        states.chart("web", "1.0.0", dependencies=[{"allOf": ["db"]}]),
        states.chart("api", "2.0.0"),
        states.assignment("db", "1.0.0", {}),
        states.assignment("web", "1.0.0", {}),
        states.assignment("api", "2.0.0", {}),
    )
    result = states.build(root, files)
    releases = {feature: release for (_, feature), release in result.plan.releases.items()}
    assert all(release.planned for release in releases.values())
    return releases


def running(
    release: DesiredRelease, status: str = "deployed", release_hash: str | None = None
) -> ReleaseState:
    """`release` as its agent would report it running."""
    return ReleaseState(
        release.feature_name,
        release.namespace,
        release.feature_name,
        release.version,
        release.release_hash if release_hash is None else release_hash,
        status,
        1,
        NOW,
    )


def orphan(name: str, release_hash: str = "sha256:old", version: str = "0.1.0") -> ReleaseState:
    return ReleaseState(name, name, name, version, release_hash, "deployed", 3, NOW)


def agent(*states_running: ReleaseState, session: str = SESSION) -> AgentView:
    return AgentView(True, session, {state.name: state for state in states_running}, "", NOW)


def flight(
    release: DesiredRelease,
    state: DeployState = DeployState.INSTALLING,
    session: str = SESSION,
    attempt: int = 1,
    release_hash: str | None = None,
    action: Action = Action.INSTALL,
) -> Deploy:
    return Deploy(
        f"id-{release.feature_name}-{attempt}",
        ENV,
        release.feature_name,
        action,
        release.version,
        release.release_hash if release_hash is None else release_hash,
        "rev-1",
        attempt,
        state,
        NOW - timedelta(seconds=5),
        NOW - timedelta(seconds=5),
        NOW + timedelta(seconds=360),
        release.namespace,
        session,
    )


def failures(count: int, ago: float, attempts: int | None = None) -> HashHistory:
    return HashHistory(
        attempts or count, count, NOW - timedelta(seconds=ago), "helm: UPGRADE FAILED: boom"
    )


def view(desired: Mapping[str, DesiredRelease], **changes: object) -> EnvironmentView:
    base = EnvironmentView(
        ENV,
        desired,
        NOW,
        features=frozenset({"db", "web", "api", "gone"}),
    )
    return replace(base, **changes)  # type: ignore[arg-type]

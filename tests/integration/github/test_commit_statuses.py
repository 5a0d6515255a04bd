"""Commit statuses posted to a real statuses endpoint on 127.0.0.1 that records each call:
the client's retries (5xx, rate limits) under a recorded sleep, and the reporter following a
revision from pending to success or failure, sending each state once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from fasit.github import (
    CommitState,
    CommitStatus,
    CommitStatuses,
    GitHubRepository,
    StatusClient,
)
from fasit.plan import ChangeKind, PlanChanges
from fasit.reconcile import Status
from fasit.state import SnapshotStore
from fasit.web import ReadSide
from tests.integration.github.statuses_server import StatusesServer
from tests.integration.processes import free_port
from tests.integration.waiting import eventually
from tests.unit.web.support import StaticFleet
from tests.unit.web.test_api import GOOD, offer, view

REPOSITORY = GitHubRepository("127.0.0.1", "nais", "fasit-state")
SHA = "5ea" * 13 + "f"
TOKEN = "ghp_s3cretT0ken"
PENDING = CommitStatus(CommitState.PENDING, "rolling out 2 release(s)", "https://fasit/revisions")


@pytest.fixture
def github() -> Iterator[StatusesServer]:
    with StatusesServer() as server:
        yield server


def client(url: str, sleeps: list[float], deadline: float = 120.0) -> StatusClient:
    return StatusClient(url, TOKEN, deadline=deadline, sleep=sleeps.append)


def test_a_status_is_posted_with_the_token_the_context_and_the_link(
    github: StatusesServer,
) -> None:
    sent = client(github.url, []).post(REPOSITORY, SHA, PENDING)

    assert sent
    [call] = github.calls
    assert call.path == f"/api/v3/repos/nais/fasit-state/statuses/{SHA}"
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.body == {
        "state": "pending",
        "description": "rolling out 2 release(s)",
        "context": "fasit",
        "target_url": "https://fasit/revisions",
    }


def test_a_502_is_tried_again_after_a_backoff(github: StatusesServer) -> None:
    github.script((502, {}))
    sleeps: list[float] = []

    sent = client(github.url, sleeps).post(REPOSITORY, SHA, PENDING)

    assert sent
    assert [call.answered for call in github.calls] == [502, 201]
    assert sleeps == [1.0]


def test_a_429_waits_what_retry_after_says(github: StatusesServer) -> None:
    github.script((429, {"Retry-After": "7"}))
    sleeps: list[float] = []

    sent = client(github.url, sleeps).post(REPOSITORY, SHA, PENDING)

    assert sent
    assert [call.answered for call in github.calls] == [429, 201]
    assert sleeps == [7.0]


def test_a_spent_rate_limit_waits_for_its_reset(github: StatusesServer) -> None:
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1800000030"}
    github.script((403, spent))
    sleeps: list[float] = []
    posting = client(github.url, sleeps)
    posting.epoch = lambda: 1_800_000_000.0

    assert posting.post(REPOSITORY, SHA, PENDING)
    assert sleeps == [30.0]


def test_a_limit_that_resets_past_the_deadline_drops_the_status(
    github: StatusesServer, caplog: pytest.LogCaptureFixture
) -> None:
    github.script((429, {"Retry-After": "3600"}))
    sleeps: list[float] = []

    sent = client(github.url, sleeps).post(REPOSITORY, SHA, PENDING)

    assert not sent
    assert sleeps == []
    assert "GitHub did not take the commit status in time" in caplog.text


def test_a_refused_token_is_not_retried_and_never_logged(
    github: StatusesServer, caplog: pytest.LogCaptureFixture
) -> None:
    github.script((401, {}))
    caplog.set_level(logging.DEBUG)

    sent = client(github.url, []).post(REPOSITORY, SHA, PENDING)

    assert not sent
    assert len(github.calls) == 1
    assert "GitHub refused the commit status (401)" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(client(github.url, []))


def test_an_api_that_does_not_answer_is_tried_a_bounded_number_of_times() -> None:
    sleeps: list[float] = []
    url = f"http://127.0.0.1:{free_port()}/api/v3"

    sent = client(url, sleeps).post(REPOSITORY, SHA, PENDING)

    assert not sent
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]


# -- the reporter ------------------------------------------------------------------------------

OLD, NEW = "0a" * 20, "0b" * 20
ROLLING = [view("nav/dev", "web", Status.INSTALLING), view("nav/prod", "web", Status.SENT)]


def read_side(tmp_path: Path, fleet: StaticFleet) -> ReadSide:
    store = SnapshotStore()
    offer(store, tmp_path / "old", GOOD, OLD)
    offer(store, tmp_path / "new", GOOD, NEW)
    upgrades = {("nav/dev", "web"): ChangeKind.UPGRADE, ("nav/prod", "web"): ChangeKind.UPGRADE}
    plans = (
        PlanChanges(store.history[0].revision, store.history[1].revision, (), 2, upgrades),
        PlanChanges(store.history[1].revision, None, (), 0, {}),
    )
    return ReadSide(
        store, fleet, lambda: 2, plan_changes=lambda: plans, decided_revision=lambda: NEW
    )


async def following(read: ReadSide, github: StatusesServer) -> asyncio.Task[None]:
    reporter = CommitStatuses(
        read,
        REPOSITORY,
        StatusClient(github.url, TOKEN),
        "https://fasit.example.net/",
        interval=0.05,
        gap=0.01,
    )
    return asyncio.create_task(reporter.run())


def bodies(github: StatusesServer, sha: str) -> list[dict[str, object]]:
    return [call.body for call in github.calls if call.path.endswith(sha)]


async def test_a_rollout_is_pending_then_success_each_sent_once(
    tmp_path: Path, github: StatusesServer
) -> None:
    fleet = StaticFleet(ROLLING)
    task = await following(read_side(tmp_path, fleet), github)
    try:
        await eventually(lambda: len(bodies(github, NEW)) == 1, "the pending status")
        fleet.change([view("nav/dev", "web"), view("nav/prod", "web")])
        await eventually(lambda: len(bodies(github, NEW)) == 2, "the success status")
        await asyncio.sleep(0.3)  # several more looks: nothing changed, nothing is sent
    finally:
        task.cancel()

    assert bodies(github, NEW) == [
        {
            "state": "pending",
            "description": "rolling out 2 release(s)",
            "context": "fasit",
            "target_url": f"https://fasit.example.net/revisions#revision-{NEW}",
        },
        {
            "state": "success",
            "description": "deployed: 2 of 2 done",
            "context": "fasit",
            "target_url": f"https://fasit.example.net/revisions#revision-{NEW}",
        },
    ]


async def test_a_failed_release_sets_failure_naming_it(
    tmp_path: Path, github: StatusesServer
) -> None:
    fleet = StaticFleet([view("nav/dev", "web", Status.FAILED), view("nav/prod", "web")])
    task = await following(read_side(tmp_path, fleet), github)
    try:
        await eventually(lambda: len(bodies(github, NEW)) == 1, "the failure status")
    finally:
        task.cancel()

    [failure] = bodies(github, NEW)
    assert (failure["state"], failure["description"]) == (
        "failure",
        "1 failed: nav/dev web FAILED (running)",
    )


async def test_a_revision_with_blocking_problems_is_a_failure_saying_where(
    tmp_path: Path, github: StatusesServer
) -> None:
    read = read_side(tmp_path, StaticFleet([view("nav/dev", "web"), view("nav/prod", "web")]))
    broken = "0c" * 20
    offer(read.store, tmp_path / "bad", {"environments/nav/dev.yaml": "kind: [unclosed\n"}, broken)
    task = await following(read, github)
    try:
        await eventually(lambda: len(bodies(github, broken)) == 1, "the broken revision's status")
    finally:
        task.cancel()

    [failure] = bodies(github, broken)
    assert failure["state"] == "failure"
    assert str(failure["description"]).startswith(
        "never served: 1 blocking problem(s), first environments/nav/dev.yaml:2:"
    )

"""The agent's result store: what it remembers, for how long, and across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from naisd import Action, Outcome, ResultStore, StateFileInvalid, Work, WorkResult
from naisd.work import Release


def _result(identifier: str) -> WorkResult:
    release = Release("web", "apps", "web", "1.0.0", "sha256:aa", "deployed", 3, 1_000)
    return WorkResult(identifier, Outcome.DEPLOYED, "", release, 2_000)


def _work(identifier: str) -> Work:
    return Work(
        identifier,
        "web",
        "apps",
        "oci://r/web",
        "",
        "1.0.0",
        {"secret": "x"},
        "h",
        30.0,
        Action.INSTALL,
    )


def test_a_completed_result_is_unconfirmed_until_the_controller_confirms_it() -> None:
    store = ResultStore()
    store.complete(_result("a"))
    store.complete(_result("b"))

    store.confirm("a")

    assert [r.instruction_id for r in store.unreported()] == ["b"]
    assert store.get("a") == _result("a")


def test_a_restarted_agent_remembers_results_and_what_it_had_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = ResultStore(path)
    store.complete(_result("a"))
    store.complete(_result("b"))
    store.confirm("a")

    again = ResultStore(path)

    assert again.get("a") == _result("a")
    assert [r.instruction_id for r in again.unreported()] == ["b"]


def test_work_started_without_a_result_is_found_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = ResultStore(path)
    store.start(_work("a"))
    store.start(_work("b"))
    store.complete(_result("b"))

    interrupted = ResultStore(path).interrupted()

    assert [w.id for w in interrupted] == ["a"]
    assert interrupted[0].values == {}  # values (secrets) never reach the state file
    assert "secret" not in path.read_text()


def test_past_capacity_the_oldest_confirmed_result_is_forgotten_first() -> None:
    store = ResultStore(capacity=2)
    store.complete(_result("a"))
    store.complete(_result("b"))
    store.confirm("b")

    store.complete(_result("c"))

    assert store.get("a") is not None
    assert store.get("b") is None
    assert store.get("c") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("{", "cannot read it as JSON", id="not json"),
        pytest.param('{"format": 9}', "not a naisd state file of format 1", id="other format"),
        pytest.param('{"format": 1, "results": [{"x": 1}]}', "bad entry", id="bad entry"),
    ],
)
def test_a_bad_state_file_is_refused_naming_it(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(StateFileInvalid, match=f"state file {path}: {message}"):
        ResultStore(path)

"""Every benchmark answers `--help` without running: a bench whose imports or argument parser
broke fails `make test`, not the next person who runs it. (What a bench calls is checked by
`mypy --strict bench`; the benches themselves run only by hand.)"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHES = sorted(path.stem for path in (Path(__file__).parents[2] / "bench").glob("*_bench.py"))


def test_the_benches_are_found() -> None:
    assert "reconcile_bench" in BENCHES
    assert len(BENCHES) >= 14


@pytest.mark.parametrize("name", BENCHES)
def test_each_bench_answers_help_without_running(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = importlib.import_module(f"bench.{name}")
    # Without a parser `main()` would run the bench itself.
    assert "argparse" in vars(bench), f"bench/{name}.py: main() must parse its arguments first"
    monkeypatch.setattr(sys, "argv", [name, "--help"])

    with pytest.raises(SystemExit) as exited:
        bench.main()

    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: ")

"""Discovery: which files are state, by the index file or the defaults."""

from __future__ import annotations

import pytest

from fasit.state import ProblemCode, compile_glob, discover, read_yaml


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        pytest.param("**/*.yaml", "prod.yaml", True, id="** spans zero directories"),
        pytest.param("**/*.yaml", "a/b/c/prod.yaml", True, id="** spans many directories"),
        pytest.param("*.yaml", "a/prod.yaml", False, id="* stays in one directory"),
        pytest.param("charts/**", "charts/x/1.0.0/values.yaml", True, id="trailing ** takes all"),
        pytest.param("env?/*.yaml", "env1/a.yaml", True, id="? is one character"),
        pytest.param("[!a]*.yaml", "b.yaml", True, id="negated class"),
        pytest.param("[!a]*.yaml", "a.yaml", False, id="negated class refuses"),
        pytest.param("a.b.yaml", "aXb.yaml", False, id="dots are literal"),
    ],
)
def test_glob_semantics(glob: str, path: str, matches: bool) -> None:
    assert bool(compile_glob(glob).match(path)) is matches


@pytest.mark.parametrize(
    ("glob", "message"),
    [
        pytest.param("/abs/*.yaml", "must be relative", id="absolute"),
        pytest.param("a**/x", "whole path segment", id="** inside a segment"),
        pytest.param("[abc.yaml", r"unclosed \[", id="unclosed class"),
        pytest.param("", "empty glob", id="empty"),
    ],
)
def test_bad_globs_say_what_is_wrong(glob: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_glob(glob)


def test_defaults_take_yaml_outside_charts_and_never_the_index() -> None:
    selector = discover(None).selector
    assert selector is not None

    assert selector.selects("environments/nav/prod.yaml")
    assert selector.selects("features/a.yml")
    assert not selector.selects("charts/a/1.0.0/Chart.yaml")
    assert not selector.selects("README.md")
    assert not selector.selects(".fasit.yaml")


def test_index_replaces_the_defaults() -> None:
    index = read_yaml("include: ['state/**/*.yaml']\nexclude: ['state/old/**']\n", ".fasit.yaml")

    selector = discover(index.documents).selector
    assert selector is not None

    assert selector.selects("state/envs/prod.yaml")
    assert not selector.selects("state/old/prod.yaml")
    assert not selector.selects("other/prod.yaml")


def test_index_with_unknown_field_is_invalid_at_the_field() -> None:
    index = read_yaml("include: ['**/*.yaml']\nexlude: ['x']\n", ".fasit.yaml")

    discovery = discover(index.documents)

    assert discovery.selector is None
    assert [(p.code, p.line, p.column) for p in discovery.problems] == [
        (ProblemCode.INDEX_INVALID, 2, 1)
    ]


def test_index_with_two_documents_is_invalid() -> None:
    index = read_yaml("include: ['a']\n---\ninclude: ['b']\n", ".fasit.yaml")

    discovery = discover(index.documents)

    assert [p.message for p in discovery.problems] == ["the index file holds one document, not 2"]


def test_the_index_file_sets_the_prune_budget() -> None:
    index = read_yaml("prune:\n  budgetPercent: 25\n  window: 30m\n", ".fasit.yaml")

    settings = discover(index.documents).index.prune

    assert (settings.budget_percent, settings.window_seconds) == (25, 1800)


def test_without_an_index_file_the_prune_budget_is_ten_percent_an_hour() -> None:
    settings = discover(None).index.prune

    assert (settings.budget_percent, settings.window_seconds) == (10, 3600)


@pytest.mark.parametrize(
    ("prune", "line", "column", "message"),
    [
        pytest.param("budgetPercent: 0", 2, 18, "greater than 0", id="no budget"),
        pytest.param("budgetPercent: 150", 2, 18, "less than or equal to 100", id="over 100"),
        pytest.param("window: 10s", 2, 11, "between 1m and 168h", id="window too short"),
        pytest.param("window: 1 hour", 2, 11, "should match pattern", id="not a duration"),
        pytest.param("budget: 20", 2, 3, "budget", id="unknown field"),
    ],
)
def test_a_bad_prune_budget_is_invalid_where_it_is_written(
    prune: str, line: int, column: int, message: str
) -> None:
    index = read_yaml(f"prune:\n  {prune}\n", ".fasit.yaml")

    discovery = discover(index.documents)

    assert discovery.selector is None
    (problem,) = discovery.problems
    assert (problem.file, problem.code, problem.line, problem.column) == (
        ".fasit.yaml",
        ProblemCode.INDEX_INVALID,
        line,
        column,
    )
    assert message in problem.message

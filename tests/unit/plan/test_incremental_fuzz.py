"""Incremental equals fresh: random edits to a state repository, each step built twice.

One `SnapshotBuilder` and one `Planner` live through a generated sequence of edits (add, remove
and change environments, labels, features, assignments, versions, configs and chart
Feature.yamls, invalid edits included), as the server keeps them. After every step the
snapshot, its targeting and (when servable, as the server plans only those) the plan must equal
what a fresh builder and a fresh planner make of the same files.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from fasit.charts import InRepoCharts
from fasit.plan import DesiredRelease, Plan, Planner, resolve_charts
from fasit.state import (
    EntryKind,
    LoadLimits,
    MemoryTree,
    Revision,
    Snapshot,
    SnapshotBuilder,
    TreeEntry,
)
from tests import states
from tests.fuzzing import examples

Edit = tuple[str, str | None]
"""(path, new text), or (path, None) to remove the file."""

_ENVIRONMENTS = (("nav", "dev"), ("nav", "prod"), ("nav", "mgmt"), ("acme", "dev"))
_FEATURES = ("x", "y", "z")
_VERSIONS = ("1.0.0", "2.0.0", "9.9.9")  # 9.9.9 has no chart
_TARGETS = ({}, {"tenant": "nav"}, {"env": "dev"}, {"team": "a"}, {"kind": "management"})
_LEVELS = st.sampled_from(("debug", "info", 3, None))

_TEMPLATES = {
    "name": states.computed("{{ env.name }}"),
    "peers": states.computed("{{ envs | length }}"),
    "level": states.configurable(),
}
_CHARTS = states.state(
    states.chart("x", "1.0.0", _TEMPLATES),
    states.chart("x", "2.0.0", _TEMPLATES, dependencies=[{"anyOf": ["y"]}]),
    states.chart("y", "1.0.0", {"boss": states.computed("{{ management.name }}")}),
    states.chart("y", "2.0.0", _TEMPLATES, dependencies=[{"allOf": ["x"]}]),
    states.chart("z", "1.0.0", {"tenant": states.computed("{{ tenant.name }}")}, ["management"]),
)
_FEATURE_YAMLS = (
    '{"environmentKinds": ["tenant"], "values": {"n": {"computed": {"template": "{{ kind }}"}}}}',
    '{"environmentKinds": 5}',
    '{"environmentKinds": ["tenant"], "values": {"n": {}}}',
    "values: [",
)
_BROKEN = (
    "a: [\n",
    "apiVersion: fasit/v1\nkind: Nope\n",
    "",
    "apiVersion: fasit/v1\nkind: Assignment\nfeature: w\nversion: '1'\ntarget: {}\n",
)

START: dict[str, str] = states.state(
    _CHARTS,
    *(states.environment(tenant, name) for tenant, name in _ENVIRONMENTS[:2]),
    states.environment("nav", "mgmt", kind="management"),
    states.environment("acme", "dev"),
    states.feature("x"),
    states.feature("y"),
    states.assignment("x", "1.0.0", {}, file="assignments/x/a.yaml"),
    states.assignment("y", "1.0.0", {"tenant": "nav"}, file="assignments/y/a.yaml"),
)


def _only(files: dict[str, str]) -> Edit:
    [(path, text)] = files.items()
    return path, text


_environment_edits = st.builds(
    lambda where, kind, labels, values, reconcile: _only(
        states.environment(*where, kind=kind, labels=labels, values=values, reconcile=reconcile)
    ),
    st.sampled_from(_ENVIRONMENTS),
    st.sampled_from(("tenant", "management", "onprem")),
    st.fixed_dictionaries({}, optional={"team": st.sampled_from("ab"), "aiven": st.just("on")}),
    st.none() | st.fixed_dictionaries({"zone": st.sampled_from("fg")}),
    st.none() | st.booleans(),
)
_feature_edits = st.builds(
    lambda name, level, prune, protected: _only(
        states.feature(name, None if level is None else {"level": level}, prune, None, protected)
    ),
    st.sampled_from(_FEATURES),
    _LEVELS,
    st.none() | st.booleans(),
    st.none() | st.booleans(),
)
_assignment_edits = st.builds(
    lambda name, slot, version, target, priority, enabled: _only(
        states.assignment(
            name, version, target, priority, enabled, file=f"assignments/{name}/{slot}.yaml"
        )
    ),
    st.sampled_from(_FEATURES),
    st.sampled_from("ab"),
    st.sampled_from(_VERSIONS),
    st.sampled_from(_TARGETS),
    st.none() | st.just(1),
    st.none() | st.booleans(),
)
_config_edits = st.builds(
    lambda name, where, level: _only(
        states.config(name, "/".join(where), {} if level is None else {"level": level})
    ),
    st.sampled_from(_FEATURES),
    st.sampled_from(_ENVIRONMENTS),
    _LEVELS,
)
_FEATURE_YAML_PATHS = sorted(path for path in _CHARTS if path.endswith("Feature.yaml"))
_ASSIGNED_AT_START = ("charts/x/1.0.0/Feature.yaml", "charts/y/1.0.0/Feature.yaml")
# Mostly the charts assigned from the start, mostly broken: a chart that goes from one kind of
# broken to another is what tells a stale `chart-unavailable` from a fresh one.
_chart_edits = st.tuples(
    st.sampled_from(_ASSIGNED_AT_START) | st.sampled_from(_FEATURE_YAML_PATHS),
    st.sampled_from(_FEATURE_YAMLS) | st.sampled_from([_CHARTS[p] for p in _FEATURE_YAML_PATHS]),
)


def _state_paths(edits: st.SearchStrategy[Edit]) -> st.SearchStrategy[str]:
    return edits.map(lambda edit: edit[0])


_valid = _environment_edits | _feature_edits | _assignment_edits | _config_edits
_removals = st.tuples(_state_paths(_valid), st.none())
_broken = st.tuples(_state_paths(_valid), st.sampled_from(_BROKEN))
EDITS = st.lists(
    st.one_of(_valid, _valid, _chart_edits, _chart_edits, _removals, _broken),
    min_size=1,
    max_size=10,
)


# Found by the `deep` profile: a chart broken one way, then another, kept the first reason.
_BROKEN_TWICE = [
    ("charts/x/1.0.0/Feature.yaml", _FEATURE_YAMLS[1]),
    ("charts/x/1.0.0/Feature.yaml", _FEATURE_YAMLS[2]),
]
# A dependency cycle's messages depended on which of its releases was settled first: reached
# by assigning the versions that depend on each other, or (found by `deep`) by editing the
# assigned charts into them.
_CYCLE = [
    _only(states.assignment("x", "2.0.0", {}, file="assignments/x/a.yaml")),
    _only(states.assignment("y", "2.0.0", {"tenant": "nav"}, file="assignments/y/a.yaml")),
]
_CYCLE_BY_CHART_EDITS = [
    _only(states.feature("x", {"level": "debug"})),
    ("charts/x/1.0.0/Feature.yaml", _CHARTS["charts/x/2.0.0/Feature.yaml"]),
    ("charts/y/1.0.0/Feature.yaml", _CHARTS["charts/y/2.0.0/Feature.yaml"]),
]


@settings(max_examples=examples(50))
@given(edits=EDITS)
@example(edits=_BROKEN_TWICE)
@example(edits=_CYCLE)
@example(edits=_CYCLE_BY_CHART_EDITS)
def test_every_incremental_build_and_plan_equals_a_fresh_one(edits: list[Edit]) -> None:
    builder, planner = SnapshotBuilder(), Planner()
    files = dict(START)
    path = "(the repository as it starts)"
    for step in range(len(edits) + 1):
        if step:
            path, text = edits[step - 1]
            if text is None:
                files.pop(path, None)
            else:
                files[path] = text
        tree = _tree(files)
        revision = Revision(f"r{step}", "fuzz", datetime(2026, 12, 6, tzinfo=UTC))
        incremental = builder.build(tree, revision)
        fresh = SnapshotBuilder().build(tree, revision)
        assert _snapshot(incremental) == _snapshot(fresh), f"step {step}: {path}"
        event(f"{'servable' if incremental.servable else 'blocked'} step")
        if incremental.servable:
            charts, _ = resolve_charts(
                incremental.index, InRepoCharts(tree, incremental.load.entries, LoadLimits()), None
            )
            plan = planner.plan(incremental, charts)
            for status in sorted({release.status.value for release in plan.releases.values()}):
                event(f"a plan holds {status}")
            event(f"rendered {'all' if plan.rendered == len(plan.releases) else 'some'}")
            planned = _plan(plan)
            assert planned == _plan(Planner().plan(fresh, charts)), f"step {step}: {path}"


def _tree(files: Mapping[str, str]) -> MemoryTree:
    """The files as a tree that knows no content ids: the loader hashes what it reads."""
    contents = {path: text.encode() for path, text in sorted(files.items())}
    entries = [TreeEntry(path, EntryKind.FILE, len(data)) for path, data in contents.items()]
    return MemoryTree("fuzz", entries, contents)


def _snapshot(snapshot: Snapshot) -> dict[str, object]:
    index, targeting = snapshot.index, snapshot.targeting
    return {
        "problems": snapshot.problems,
        "environments": _keys(index.environments),
        "features": _keys(index.features),
        "assignments": [assignment.key for assignment in index.assignments],
        "configs": _keys(index.configs),
        "management": _keys(index.management),
        "winners": _keys(targeting.winners),
        "matches": targeting.matches,
        "environment order": targeting.index.ids,
    }


def _plan(plan: Plan) -> dict[str, object]:
    return {
        "releases": {pair: _release(release) for pair, release in plan.releases.items()},
        "environments": _keys(plan.environments),
        "features": plan.features,
        "prune": plan.prune,
        "protected": plan.protected,
    }


def _release(release: DesiredRelease) -> tuple[object, ...]:
    inputs = (release.environment, release.feature, release.assignment, release.config)
    return (
        release.status,
        release.message,
        release.code,
        release.problem,
        release.digest,
        release.release_hash,
        release.values,
        release.flat,
        release.secret_keys,
        release.depends_on,
        tuple(None if document is None else document.key for document in inputs),
    )


def _keys(documents: Mapping[Any, Any]) -> dict[Any, str]:
    return {name: document.key for name, document in documents.items()}

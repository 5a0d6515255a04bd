"""Fuzzing a whole state repository's build: a Feature.yaml whose values, templates, config
types, kinds, dependencies and timeout are generated, with environment and config values to
match, goes through the snapshot, the chart checks and the plan (validate in-process). The
build never raises, and every problem names its file and, when it has one, a position from 1.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from fasit.plan import Planner, validate_tree
from fasit.state import DirectoryTree
from tests import states
from tests.fuzzing import examples
from tests.helpers import write_tree

_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=10)
_NAMES = st.sampled_from(("replicas", "image.tag", "image", "a.b.c", "a", "b", "name", "kind"))
_KEYS = st.one_of(_NAMES, _NAMES, _TEXT)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), _TEXT)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)
_TEMPLATES = st.sampled_from(
    (
        "{{ env.name }}", "{{ env.values.replicas * 2 }}", "{{ configs.replicas }}", "true",
        "{{ envs | each_of('name') }}", "{{ 1 if 0[0] else 2 }}", "{{ env.nope }}", "{{",
        "{% for e in envs %}{{ e.name }}{% endfor %}", "{{ {'a': [1, 2]} }}", "- a\n- b",
        "{{ management.name }}", "{{ tenant }}", "{{ 'x' * 100000 }}", "&a [*a]", "!!int x",
    )
)  # fmt: skip


def _feature_yaml(odd: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Feature.yaml as data: well-shaped (so the stages behind it are reached), or with any
    value where a part belongs (`odd`)."""

    def part(usual: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return usual | _JSON if odd else usual

    computed = part(st.fixed_dictionaries({"template": _TEMPLATES}))
    types = ("string", "int", "bool", "string_array") + (("float", "x") if odd else ())
    config = part(
        st.fixed_dictionaries({"type": st.sampled_from(types)}, optional={"secret": st.booleans()})
    )
    more = {"required": st.booleans(), "description": _TEXT}
    declaration = st.one_of(
        st.fixed_dictionaries({"computed": computed}, optional={"config": config, **more}),
        st.fixed_dictionaries({"config": config}, optional={"computed": computed, **more}),
    )
    features = st.sampled_from(("web", "api")) | _TEXT if odd else st.sampled_from(("web", "api"))
    kinds = st.lists(st.sampled_from(("tenant", "management", "onprem")), min_size=1, unique=True)
    timeouts = ("5m", "0s", "1h2m", "99999999h") + (("-1m", "abc", 5) if odd else ())
    return st.fixed_dictionaries(
        {
            "environmentKinds": part(kinds),
            "values": part(st.dictionaries(_NAMES, declaration, max_size=4)),
        },
        optional={
            "timeout": st.sampled_from(timeouts),
            "dependencies": part(st.lists(st.fixed_dictionaries({"allOf": st.lists(features)}))),
        },
    )


def _yaml(value: Any) -> str:
    """`value` as YAML flow text (JSON, without the surrogate-pair escapes YAML lacks)."""
    return json.dumps(value, ensure_ascii=False)


def _repository(feature_yaml: Any, env_values: Any, config_values: Any) -> dict[str, str]:
    files = states.state(
        states.environment("nav", "dev"),
        states.environment("nav", "mgmt", kind="management"),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.assignment("web", "1.0.0", {}),
    )
    files["charts/web/1.0.0/Feature.yaml"] = _yaml(feature_yaml) + "\n"
    environment = files["environments/nav/dev.yaml"]
    files["environments/nav/dev.yaml"] = environment + f"values: {_yaml(env_values)}\n"
    files.update(states.config("web", "nav/dev", {}))
    config_file = next(path for path in files if path.startswith("configs/"))
    files[config_file] = files[config_file].replace("values: {}", f"values: {_yaml(config_values)}")
    return files


@settings(max_examples=examples(150))
@given(
    feature_yaml=_feature_yaml(odd=False) | _feature_yaml(odd=True),
    env_values=st.dictionaries(_KEYS, _JSON, max_size=3) | _JSON,
    config_values=st.dictionaries(_KEYS, _JSON, max_size=3) | _JSON,
)
def test_a_generated_repository_validates_without_raising_and_every_problem_says_where(
    feature_yaml: Any, env_values: Any, config_values: Any
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_tree(root, _repository(feature_yaml, env_values, config_values))
        result = validate_tree(DirectoryTree(root), planner=Planner())

    for code in sorted({problem.code for problem in result.problems}) or ["no problem"]:
        event(code)
    for problem in result.problems:
        assert problem.file, problem
        assert problem.message, problem
        assert (problem.line is None) == (problem.column is None), problem
        assert problem.line is None or (problem.line >= 1 and problem.column >= 1), problem

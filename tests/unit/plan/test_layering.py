"""Values layering, carried over from nais/fasit's own cases (research/fasit.md §6, item 7):
computed < Feature config < environment Config, ignoreKind, management values, configs seen
by templates, typing from template output, the metadata block, required keys."""

from __future__ import annotations

import json
from pathlib import Path

from fasit.plan import ReleaseStatus, ValueOrigin
from tests.states import (
    assignment,
    build,
    chart,
    computed,
    config,
    configurable,
    environment,
    feature,
    release,
    state,
)

KITCHEN_SINK = chart(
    "sink",
    "1.0.0",
    {
        "fromComputed": computed("computed"),
        "fromGlobal": configurable(**computed("computed")),
        "fromEnvironment": configurable(**computed("computed")),
        "onpremOnly": computed("proxy:8088", ignoreKind=["tenant", "management"]),
        "managementDomain": computed("{{ management.domain }}"),
        "derived": computed("prefix-{{ configs.fromEnvironment }}"),
        "replicas": computed("{{ 2 if kind == 'tenant' else 1 }}"),
        "isManagement": computed("{{ kind == 'management' }}"),
        "quoted": computed('"{{ 3 }}"'),
    },
)


def sink_state() -> dict[str, str]:
    return state(
        KITCHEN_SINK,
        feature("sink", config={"fromGlobal": "global", "fromEnvironment": "global"}),
        environment("nav", "prod", values={"domain": "prod.nav.example"}),
        environment("nav", "management", "management", values={"domain": "nav.example"}),
        environment("nav", "onprem", "onprem"),
        config("sink", "nav/prod", {"fromEnvironment": "environment"}),
        assignment("sink", "1.0.0", {}),
    )


def test_environment_config_beats_feature_config_beats_computed(tmp_path: Path) -> None:
    prod = release(build(tmp_path, sink_state()), "nav/prod", "sink")

    assert prod.flat["fromComputed"] == "computed"
    assert prod.flat["fromGlobal"] == "global"
    assert prod.flat["fromEnvironment"] == "environment"


def test_each_value_records_the_layer_and_line_it_came_from(tmp_path: Path) -> None:
    prod = release(build(tmp_path, sink_state()), "nav/prod", "sink")
    sources = {source.key: source for source in prod.sources()}

    assert sources["fromComputed"].origin is ValueOrigin.COMPUTED
    assert sources["fromComputed"].location.file == "charts/sink/1.0.0/Feature.yaml"
    assert sources["fromGlobal"].origin is ValueOrigin.FEATURE_CONFIG
    assert sources["fromGlobal"].location.file == "features/sink.yaml"
    assert sources["fromEnvironment"].origin is ValueOrigin.ENVIRONMENT_CONFIG
    assert sources["fromEnvironment"].location.file == "configs/sink/nav-prod.yaml"
    assert sources["fromEnvironment"].location.line == 5


def test_ignore_kind_leaves_the_value_out_for_those_kinds_only(tmp_path: Path) -> None:
    result = build(tmp_path, sink_state())

    assert "onpremOnly" not in release(result, "nav/prod", "sink").flat
    assert release(result, "nav/onprem", "sink").flat["onpremOnly"] == "proxy:8088"


def test_templates_see_the_management_environment_and_the_merged_configs(
    tmp_path: Path,
) -> None:
    prod = release(build(tmp_path, sink_state()), "nav/prod", "sink")

    assert prod.flat["managementDomain"] == "nav.example"
    assert prod.flat["derived"] == "prefix-environment"


def test_template_output_is_read_as_yaml_so_the_template_decides_the_type(
    tmp_path: Path,
) -> None:
    result = build(tmp_path, sink_state())

    assert release(result, "nav/prod", "sink").flat["replicas"] == 2
    assert release(result, "nav/management", "sink").flat["isManagement"] is True
    assert release(result, "nav/prod", "sink").flat["quoted"] == "3"


def _with_metadata_values(files: dict[str, str]) -> dict[str, str]:
    """`files` with every Feature.yaml opting in to the metadata block."""
    opted = dict(files)
    for path, text in files.items():
        if path.endswith("/Feature.yaml"):
            opted[path] = json.dumps({**json.loads(text), "metadataValues": True})
    return opted


def test_a_release_plans_with_exactly_the_values_its_feature_yaml_declares(
    tmp_path: Path,
) -> None:
    prod = release(build(tmp_path, sink_state()), "nav/prod", "sink")

    assert "fasit" not in prod.values
    assert set(prod.values) == set(prod.flat)


def test_the_metadata_block_names_tenant_environment_and_kind_when_opted_in(
    tmp_path: Path,
) -> None:
    management = release(
        build(tmp_path, _with_metadata_values(sink_state())), "nav/management", "sink"
    )

    assert management.values["fasit"] == {
        "tenant": {"name": "nav"},
        "env": {"name": "management", "kind": "management"},
    }


def test_a_value_key_fasit_is_the_features_own_without_the_metadata_block(
    tmp_path: Path,
) -> None:
    files = state(
        chart("x", "1.0.0", {"fasit.mode": computed("strict")}),
        feature("x"),
        environment("nav", "prod"),
        assignment("x", "1.0.0", {}),
    )

    prod = release(build(tmp_path, files), "nav/prod", "x")

    assert prod.status is ReleaseStatus.PLANNED
    assert prod.values == {"fasit": {"mode": "strict"}}


def test_a_value_key_fasit_conflicts_with_the_metadata_block(tmp_path: Path) -> None:
    files = state(
        chart("x", "1.0.0", {"fasit.mode": computed("strict")}),
        feature("x"),
        environment("nav", "prod"),
        assignment("x", "1.0.0", {}),
    )

    prod = release(build(tmp_path, _with_metadata_values(files)), "nav/prod", "x")

    assert prod.status is ReleaseStatus.RENDER_ERROR
    assert prod.message == (
        "value key 'fasit' is reserved for the metadata block fasit adds (metadataValues: true)"
    )
    assert prod.problem is not None
    assert (prod.problem.file, prod.problem.line) == ("charts/x/1.0.0/Feature.yaml", 1)


def test_dotted_keys_nest_and_an_escaped_dot_stays_in_the_key(tmp_path: Path) -> None:
    files = state(
        chart("x", "1.0.0", {"a.b": computed("1"), "a.c": computed("2"), "d\\.e": computed("3")}),
        feature("x"),
        environment("nav", "prod"),
        assignment("x", "1.0.0", {}),
    )
    prod = release(build(tmp_path, files), "nav/prod", "x")

    assert prod.values["a"] == {"b": 1, "c": 2}
    assert prod.values["d.e"] == 3


def test_a_key_that_is_a_value_and_a_prefix_is_an_error_naming_both(tmp_path: Path) -> None:
    files = state(
        chart("x", "1.0.0", {"image": computed("x:1"), "image.tag": computed("1")}),
        feature("x"),
        environment("nav", "prod"),
        assignment("x", "1.0.0", {}),
    )
    prod = release(build(tmp_path, files), "nav/prod", "x")

    assert prod.status is ReleaseStatus.RENDER_ERROR
    assert "'image' is both a value and a prefix of 'image.tag'" in prod.message


def test_a_missing_key_in_a_template_is_a_render_error_naming_the_value(tmp_path: Path) -> None:
    files = state(
        chart("x", "1.0.0", {"cluster.project": computed("{{ env.project }}")}),
        feature("x"),
        environment("nav", "prod", values={"domain": "d"}),
        assignment("x", "1.0.0", {}),
    )
    prod = release(build(tmp_path, files), "nav/prod", "x")

    assert prod.status is ReleaseStatus.RENDER_ERROR
    assert prod.message.startswith("cluster.project: no key 'project'")
    assert "domain" in prod.message  # the keys that do exist


def test_required_values_without_a_value_are_missing_config_listing_the_keys(
    tmp_path: Path,
) -> None:
    files = state(
        chart(
            "x",
            "1.0.0",
            {
                "token": configurable(required=True),
                "region": configurable(required=True),
                "empty": configurable(required=True),
            },
        ),
        feature("x", config={"empty": ""}),
        environment("nav", "prod"),
        assignment("x", "1.0.0", {}),
    )
    prod = release(build(tmp_path, files), "nav/prod", "x")

    assert prod.status is ReleaseStatus.MISSING_CONFIG
    assert "region, token" in prod.message  # an explicit empty string counts as set


def test_a_config_value_of_the_wrong_type_stops_the_release(tmp_path: Path) -> None:
    files = state(
        chart("x", "1.0.0", {"replicas": configurable("int")}),
        feature("x"),
        environment("nav", "prod"),
        config("x", "nav/prod", {"replicas": "three"}),
        assignment("x", "1.0.0", {}),
    )
    prod = release(build(tmp_path, files), "nav/prod", "x")

    assert prod.status is ReleaseStatus.RENDER_ERROR
    assert "declared int" in prod.message
    assert prod.problem is not None
    assert prod.problem.file == "configs/x/nav-prod.yaml"


def test_envs_lists_the_tenants_other_environments_but_not_management(tmp_path: Path) -> None:
    files = state(
        chart("x", "1.0.0", {"names": computed("{{ envs | each_of('name') | sort }}")}),
        feature("x"),
        environment("nav", "prod"),
        environment("nav", "dev"),
        environment("nav", "management", "management"),
        environment("acme", "prod"),
        assignment("x", "1.0.0", {}),
    )
    prod = release(build(tmp_path, files), "nav/prod", "x")

    assert prod.flat["names"] == ["dev", "prod"]


def test_kind_mismatch_when_feature_yaml_does_not_list_the_environment_kind(
    tmp_path: Path,
) -> None:
    files = state(
        chart("x", "1.0.0", kinds=["tenant"]),
        feature("x"),
        environment("nav", "prod"),
        environment("nav", "management", "management"),
        assignment("x", "1.0.0", {}),
    )
    result = build(tmp_path, files)

    assert release(result, "nav/prod", "x").status is ReleaseStatus.PLANNED
    assert release(result, "nav/management", "x").status is ReleaseStatus.KIND_MISMATCH


def _shared_templates(name: str) -> dict[str, str]:
    """A chart whose computed templates are the same as every other `_shared_templates` chart's."""
    return chart(
        name,
        "1.0.0",
        {
            "host": configurable(**computed("{{ env.name }}.{{ env.domain }}")),
            "size": configurable("int"),
            "derived": computed("{{ configs.size }}-{{ env.name }}"),
            "constant": computed("3"),
        },
    )


def shared_templates_state() -> dict[str, str]:
    return state(
        _shared_templates("a"),
        _shared_templates("b"),
        _shared_templates("c"),
        feature("a", config={"size": 1}),
        feature("b", config={"size": 1}),
        feature("c", config={"size": 1}),
        environment("nav", "prod", values={"domain": "nav.example"}),
        environment("nav", "dev", values={"domain": "nav.example"}),
        config("b", "nav/prod", {"host": "given"}),
        assignment("a", "1.0.0", {}),
        assignment("b", "1.0.0", {}),
        assignment("c", "1.0.0", {}),
    )


def test_features_sharing_templates_in_one_environment_get_the_same_computed_values(
    tmp_path: Path,
) -> None:
    result = build(tmp_path, shared_templates_state())

    a, c = (release(result, "nav/prod", name) for name in ("a", "c"))
    assert (
        a.flat
        == c.flat
        == {
            "host": "prod.nav.example",
            "size": 1,
            "derived": "1-prod",
            "constant": 3,
        }
    )


def test_a_config_setting_a_shared_templates_key_changes_only_its_own_pair(
    tmp_path: Path,
) -> None:
    result = build(tmp_path, shared_templates_state())

    assert release(result, "nav/prod", "b").flat == {
        "host": "given",
        "size": 1,
        "derived": "1-prod",
        "constant": 3,
    }
    assert release(result, "nav/prod", "c").flat["host"] == "prod.nav.example"


def test_shared_templates_render_for_each_environment_over_its_own_values(
    tmp_path: Path,
) -> None:
    result = build(tmp_path, shared_templates_state())

    assert release(result, "nav/dev", "a").flat == {
        "host": "dev.nav.example",
        "size": 1,
        "derived": "1-dev",
        "constant": 3,
    }

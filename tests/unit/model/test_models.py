"""The state models: required fields, defaults and rules of DESIGN.md §2 and §3."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from fasit.model import (
    Assignment,
    ChartYaml,
    Config,
    Environment,
    EnvironmentKind,
    Feature,
    FeatureYaml,
    IndexFile,
)

HEADER = {"apiVersion": "fasit/v1"}


def test_environment_defaults() -> None:
    environment = Environment.model_validate(
        {
            **HEADER,
            "kind": "Environment",
            "tenant": "nav",
            "name": "prod",
            "environmentKind": "onprem",
        }
    )

    assert environment.id == "nav/prod"
    assert environment.environment_kind is EnvironmentKind.ONPREM
    assert (environment.labels, environment.values, environment.reconcile) == ({}, {}, True)


def test_environment_values_that_are_one_secret_reference_are_refused() -> None:
    document = {
        **HEADER,
        "kind": "Environment",
        "tenant": "nav",
        "name": "prod",
        "environmentKind": "tenant",
        "values": {"secretRef": "nav-prod"},
    }

    with pytest.raises(ValidationError, match="put the secret under a key"):
        Environment.model_validate(document)


def test_feature_namespace_defaults_to_its_name() -> None:
    feature = Feature.model_validate(
        {**HEADER, "kind": "Feature", "name": "aivenator", "chart": "charts/aivenator"}
    )

    assert feature.release_namespace == "aivenator"
    assert not feature.is_oci
    assert (feature.description, feature.config, feature.prune) == ("", {}, False)


def test_a_feature_can_be_protected_and_is_not_by_default() -> None:
    document = {**HEADER, "kind": "Feature", "name": "naisd", "chart": "charts/naisd"}

    assert not Feature.model_validate(document).protected
    assert Feature.model_validate({**document, "protected": True}).protected


def test_assignment_defaults() -> None:
    assignment = Assignment.model_validate(
        {**HEADER, "kind": "Assignment", "feature": "a", "version": "1.0.0", "target": {}}
    )

    assert (assignment.priority, assignment.enabled, assignment.redeploy) == (0, True, "")


def test_models_are_frozen() -> None:
    config = Config.model_validate(
        {**HEADER, "kind": "Config", "feature": "a", "environment": "nav/prod", "values": {}}
    )

    with pytest.raises(ValidationError, match="frozen"):
        config.feature = "b"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("document", "error_type"),
    [
        pytest.param(
            {"environment": "prod"}, "string_pattern_mismatch", id="environment without tenant"
        ),
        pytest.param({"feature": "Aivenator"}, "string_pattern_mismatch", id="uppercase feature"),
        pytest.param({"values": {"a": {1, 2}}}, "invalid-json-value", id="non-JSON value"),
    ],
)
def test_config_rejects(document: dict[str, Any], error_type: str) -> None:
    valid = {**HEADER, "kind": "Config", "feature": "a", "environment": "nav/prod", "values": {}}

    with pytest.raises(ValidationError) as raised:
        Config.model_validate({**valid, **document})

    assert error_type in {error["type"] for error in raised.value.errors()}


def test_feature_yaml_full_example_parses() -> None:
    feature_yaml = FeatureYaml.model_validate(
        {
            "environmentKinds": ["tenant", "management"],
            "dependencies": [
                {"allOf": ["monitoring-crds", "cert-manager"]},
                {"anyOf": ["traefik"]},
            ],
            "timeout": "1h30m",
            "values": {
                "replicas": {
                    "displayName": "Replicas",
                    "config": {"type": "int"},
                    "computed": {"template": "2"},
                },
                "apiToken": {"config": {"type": "string", "secret": True}, "required": True},
                "proxy": {"computed": {"template": "x"}, "ignoreKind": ["tenant"]},
            },
        }
    )

    assert feature_yaml.timeout_seconds == 5400
    assert feature_yaml.dependencies[0].features == ["monitoring-crds", "cert-manager"]
    assert feature_yaml.values["apiToken"].config is not None
    assert feature_yaml.values["apiToken"].config.secret


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param({"environmentKinds": []}, "at least 1 item", id="no kinds"),
        pytest.param({"timeout": "10 minutes"}, "should match pattern", id="bad timeout"),
        pytest.param(
            {"values": {"a": {"description": "x"}}},
            "needs `config`, `computed`",
            id="value without source",
        ),
        pytest.param({"dependencies": [{}]}, "needs `allOf`, `anyOf` or both", id="empty rule"),
        pytest.param(
            {"values": {"a": {"config": {"type": "float"}}}},
            "'string', 'int'",
            id="bad config type",
        ),
    ],
)
def test_feature_yaml_rejects(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FeatureYaml.model_validate({"environmentKinds": ["tenant"], **document})


def test_default_timeout_is_five_minutes() -> None:
    assert FeatureYaml.model_validate({"environmentKinds": ["tenant"]}).timeout_seconds == 300


def test_chart_yaml_ignores_fields_fasit_does_not_read() -> None:
    chart = ChartYaml.model_validate(
        {"apiVersion": "v2", "name": "aivenator", "version": "1.2.0", "type": "application"}
    )

    assert (chart.name, chart.version, chart.sources) == ("aivenator", "1.2.0", [])


def test_index_defaults_match_the_design() -> None:
    index = IndexFile()

    assert (index.include, index.exclude) == (["**/*.yaml", "**/*.yml"], ["charts/**"])

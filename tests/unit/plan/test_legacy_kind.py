"""`legacy`, nais/fasit's environment kind for older clusters, is built in: an environment may
be one, and a Feature.yaml's `environmentKinds` and `ignoreKind` name it like any other."""

from __future__ import annotations

from pathlib import Path

from fasit.plan import ReleaseStatus
from tests.states import assignment, build, chart, computed, environment, feature, release, state

LEGACY_AWARE = chart(
    "agent",
    "1.0.0",
    {
        "proxy": computed("legacy-proxy:3128", ignoreKind=["tenant"]),
        "kind": computed("{{ kind }}"),
    },
    kinds=["tenant", "legacy"],
)


def legacy_state(*extra: dict[str, str]) -> dict[str, str]:
    return state(
        LEGACY_AWARE,
        feature("agent"),
        environment("nav", "prod"),
        environment("nav", "old-dc", "legacy"),
        assignment("agent", "1.0.0", {}),
        *extra,
    )


def test_a_feature_that_lists_legacy_is_planned_on_a_legacy_environment(tmp_path: Path) -> None:
    planned = release(build(tmp_path, legacy_state()), "nav/old-dc", "agent")

    assert planned.status is ReleaseStatus.PLANNED
    assert planned.flat["kind"] == "legacy"


def test_ignore_kind_leaves_a_value_out_of_legacy_or_keeps_it(tmp_path: Path) -> None:
    result = build(tmp_path, legacy_state())

    assert release(result, "nav/old-dc", "agent").flat["proxy"] == "legacy-proxy:3128"
    assert "proxy" not in release(result, "nav/prod", "agent").flat


def test_a_feature_that_does_not_list_legacy_is_a_kind_mismatch_there(tmp_path: Path) -> None:
    tenant_only = chart("web", "1.0.0", {}, kinds=["tenant"])
    result = build(
        tmp_path,
        legacy_state(tenant_only, feature("web"), assignment("web", "1.0.0", {})),
    )

    assert release(result, "nav/old-dc", "web").status is ReleaseStatus.KIND_MISMATCH


def test_a_template_reads_the_environments_labels(tmp_path: Path) -> None:
    labelled = chart("tagger", "1.0.0", {"region": computed("{{ labels.region }}")})
    result = build(
        tmp_path,
        state(
            labelled,
            feature("tagger"),
            environment("nav", "prod", labels={"region": "oslo"}),
            assignment("tagger", "1.0.0", {}),
        ),
    )

    assert release(result, "nav/prod", "tagger").flat["region"] == "oslo"

"""Reading helm's output, and the pieces of helm's command line, without running helm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from naisd import Action, Work
from naisd.helm import chart_reference, helm_duration, upgrade_args
from naisd.helm_labels import HASH_LABEL, hash_label, release_hash_of
from naisd.helm_list import HelmFailed, helm_error, parse_list


def _work(**changes: object) -> Work:
    fields: dict[str, object] = {
        "id": "i", "release": "web", "namespace": "apps", "chart": "oci://r.example:5000/charts/web",
        "digest": "sha256:" + "c" * 64, "version": "1.0.0", "values": {"replicas": 2},
        "release_hash": "sha256:" + "0" * 64, "timeout": 300.0, "action": Action.INSTALL,
    }  # fmt: skip
    fields.update(changes)
    return Work(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("chart", "name", "version"),
    [
        pytest.param("web-1.2.3", "web", "1.2.3", id="plain"),
        pytest.param("my-chart-1.2.3-rc.1", "my-chart", "1.2.3-rc.1", id="dashes and prerelease"),
        pytest.param("kafka-2-0.1.0", "kafka-2", "0.1.0", id="a number in the name"),
        pytest.param("odd", "odd", "", id="no version"),
    ],
)
def test_helm_list_chart_is_split_into_name_and_version(
    chart: str, name: str, version: str
) -> None:
    entry = {"name": "r", "namespace": "n", "revision": "4", "status": "deployed", "chart": chart}

    [listed] = parse_list(json.dumps([entry]))

    assert (listed.chart, listed.version, listed.revision) == (name, version, 4)


def test_helm_list_time_is_read_to_the_millisecond() -> None:
    entry = {
        "name": "r", "namespace": "n", "revision": "1", "status": "deployed", "chart": "r-1.0.0",
        "updated": "2026-11-21 10:00:00.123456789 +0100 CET",
    }  # fmt: skip

    [listed] = parse_list(json.dumps([entry]))

    assert listed.updated_ms == 1_795_251_600_123


def test_unexpected_helm_list_output_is_a_helm_failure() -> None:
    with pytest.raises(HelmFailed, match="unexpected output of helm list"):
        parse_list('{"not": "a list"}')


HASH = "sha256:" + "0" * 64


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        pytest.param({HASH_LABEL: hash_label(HASH)}, HASH, id="fasit's"),
        pytest.param({"team": "a"}, "", id="not fasit's"),
        pytest.param({HASH_LABEL: "sha256:1"}, "", id="not a label naisd writes"),
        pytest.param(None, "", id="no labels"),
    ],
)
def test_the_release_hash_is_read_from_the_release_labels(
    labels: dict[str, str] | None, expected: str
) -> None:
    metadata = {"name": "web", "revision": 1, **({"labels": labels} if labels else {})}

    assert release_hash_of(json.dumps(metadata)) == expected


def test_metadata_that_is_not_a_json_object_is_refused() -> None:
    with pytest.raises(ValueError, match="not a JSON object"):
        release_hash_of("[]")


def test_the_helm_error_is_helms_last_error_without_its_generic_prefixes() -> None:
    lines = ["Release web is upgrading", "Error: UPGRADE FAILED: boom"]
    assert helm_error(lines) == "boom"
    assert helm_error(["only this"]) == "only this"
    assert helm_error([]) == ""


def test_a_multi_line_error_is_joined_into_one_line_without_blank_or_warning_lines() -> None:
    lines = [
        "WARNING: Kubernetes configuration file is group-readable.",
        "Error: values don't meet the specifications of the schema(s) in the following chart(s):",
        "web:",
        "",
        "- at '': additional properties 'fasit' not allowed",
        "WARNING: something else",
    ]

    assert helm_error(lines) == (
        "values don't meet the specifications of the schema(s) in the following chart(s):"
        " web: - at '': additional properties 'fasit' not allowed"
    )


def test_a_template_error_keeps_the_lines_helm_continues_it_with() -> None:
    lines = [
        "Error: UPGRADE FAILED: web/templates/bad.yaml:1:10",
        '  executing "web/templates/bad.yaml" at <.Values.nope.deeper>:',
        "    nil pointer evaluating interface {}.deeper",
    ]

    assert helm_error(lines) == (
        'web/templates/bad.yaml:1:10 executing "web/templates/bad.yaml" at'
        " <.Values.nope.deeper>: nil pointer evaluating interface {}.deeper"
    )


def test_a_long_helm_error_is_cut_at_300_characters() -> None:
    cause = helm_error(["Error: INSTALLATION FAILED: " + "x" * 1000])

    assert len(cause) == 300
    assert cause.endswith("x…")


@pytest.mark.parametrize(("seconds", "text"), [(300, "300s"), (1.5, "1500ms"), (0.0001, "1ms")])
def test_timeouts_are_go_durations(seconds: float, text: str) -> None:
    assert helm_duration(seconds) == text


def test_the_hash_label_is_a_valid_label_value_that_gives_the_hash_back() -> None:
    label = hash_label("sha256:" + "ff" * 32)

    assert label is not None
    assert len(label) == 52
    assert label.isalnum()
    assert hash_label("not-a-hash") is None


def test_an_oci_chart_is_pinned_by_its_digest_and_a_path_is_not() -> None:
    assert chart_reference(_work()) == "oci://r.example:5000/charts/web@sha256:" + "c" * 64
    assert chart_reference(_work(chart="/charts/web")) == "/charts/web"


def test_an_install_labels_the_release_with_its_hash_and_unlabels_one_without() -> None:
    with_hash = upgrade_args(_work(), Path("values.yaml"))
    without = upgrade_args(_work(release_hash=""), Path("values.yaml"))

    label = with_hash[with_hash.index("--labels") + 1]
    assert label == f"{HASH_LABEL}={hash_label(HASH)}"
    assert without[without.index("--labels") + 1] == f"{HASH_LABEL}=null"


def test_an_install_speaks_helm_4() -> None:
    args = upgrade_args(_work(), Path("values.yaml"))

    assert "--rollback-on-failure" in args
    assert "--atomic" not in args  # deprecated in Helm 4


def test_an_install_from_a_registry_not_configured_as_plain_http_has_no_plain_http_flag() -> None:
    args = upgrade_args(_work(), Path("values.yaml"), plain_http={"other.example:5000"})

    assert "--plain-http" not in args
    assert args[-1] == "oci://r.example:5000/charts/web@sha256:" + "c" * 64


def test_an_install_from_a_plain_http_registry_tells_helm_so_beside_the_version() -> None:
    args = upgrade_args(_work(), Path("values.yaml"), plain_http={"r.example:5000"})

    between_version_and_values = args[args.index("--version") : args.index("-f")]
    assert between_version_and_values == ["--version", "1.0.0", "--plain-http"]


def test_a_local_chart_never_gets_the_plain_http_flag() -> None:
    local = _work(chart="r.example:5000/charts/web.tgz", digest="")

    args = upgrade_args(local, Path("values.yaml"), plain_http={"r.example:5000"})

    assert "--plain-http" not in args

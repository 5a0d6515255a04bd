"""`fasit migrate feature`: nais/fasit Feature.yaml files, written here in nais's dialect
(tests/fixtures/nais-features/<name>/Feature.yaml), become the expected files, which
`fasit validate` accepts and which plan to the values the Go templates gave (expectations.yaml
beside each, worked out by hand)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from fasit.plan import Planner, ServerValues, validate_tree
from fasit.state import DirectoryTree
from tests.helpers import run_cli, write_tree
from tests.states import assignment, environment, feature, release, state

FIXTURES = Path(__file__).parents[1] / "fixtures" / "nais-features"
NAMES = sorted(path.name for path in FIXTURES.iterdir() if path.is_dir())
PLANNED = [name for name in NAMES if (FIXTURES / name / "expectations.yaml").is_file()]
ALL_KINDS = ["tenant", "management", "onprem", "legacy"]


def _chart(name: str, feature_yaml: str, kinds: list[str] | None = None) -> dict[str, str]:
    directory = f"charts/{name}/1.0.0"
    return {
        f"{directory}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n",
        f"{directory}/Feature.yaml": feature_yaml,
    }


def _repository(name: str, converted: str) -> tuple[dict[str, str], dict[str, Any]]:
    """A state repo with the converted chart, the fixture's environments and config, and
    every feature it depends on planned everywhere."""
    expectations = yaml.safe_load((FIXTURES / name / "expectations.yaml").read_text())
    parts = [
        _chart(name, converted),
        feature(name, config=expectations.get("featureConfig")),
        assignment(name, "1.0.0", {}),
    ]
    for dependency in yaml.safe_load(converted).get("dependencies", []):
        for other in dependency.get("allOf", []) + dependency.get("anyOf", []):
            plain = json.dumps({"environmentKinds": ALL_KINDS}) + "\n"
            parts += [_chart(other, plain), feature(other), assignment(other, "1.0.0", {})]
    for spec in expectations["environments"]:
        parts.append(environment(spec["tenant"], spec["name"], spec["kind"], values=spec["values"]))
    return state(*parts), expectations


@pytest.mark.parametrize("name", NAMES)
def test_converting_gives_the_expected_file(name: str) -> None:
    run = run_cli("migrate", "feature", FIXTURES / name / "Feature.yaml")

    assert run.stdout == (FIXTURES / name / "expected.yaml").read_text()
    assert run.exit_code == (0 if name in PLANNED else 1), run.stderr


@pytest.mark.parametrize("name", PLANNED)
def test_the_converted_feature_passes_validate(name: str, tmp_path: Path) -> None:
    files, _ = _repository(name, (FIXTURES / name / "expected.yaml").read_text())
    write_tree(tmp_path / "repo", files)

    run = run_cli("validate", tmp_path / "repo")

    assert run.exit_code == 0, run.stdout
    assert " error " not in run.stdout


@pytest.mark.parametrize("name", PLANNED)
def test_the_converted_feature_plans_to_what_the_go_templates_gave(
    name: str, tmp_path: Path
) -> None:
    files, expectations = _repository(name, (FIXTURES / name / "expected.yaml").read_text())
    write_tree(tmp_path / "repo", files)
    planner = Planner(server_values=ServerValues(expectations["templateValues"]))

    result = validate_tree(DirectoryTree(tmp_path / "repo"), planner=planner)

    planned = {
        environment_id: dict(release(result, environment_id, name).values)
        for environment_id in expectations["expect"]
    }
    assert planned == expectations["expect"]


def test_what_a_person_must_finish_is_listed_with_file_line_and_column() -> None:
    path = FIXTURES / "unfinished" / "Feature.yaml"

    run = run_cli("migrate", "feature", path)

    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        f"{path}:3:1: target: a label selector in Feature.yaml is refused by fasit; move its"
        " labels to the assignments' `target` and delete it here",
        f"{path}:8:21: values.startedAt.computed.template: `now` reads the clock, and fasit's"
        " templates are deterministic: put the value in a config value",
        f"{path}:13:30: values.first.computed.template: $first is assigned inside a range but"
        " declared outside it; a Jinja loop keeps its own copy (write it with namespace() by"
        " hand)",
        "fasit migrate: 1 template(s) translated in 1 file(s); 3 left for a person to finish",
    ]


def test_a_directory_in_place_rewrites_every_feature_yaml_under_it(tmp_path: Path) -> None:
    for name in NAMES:
        destination = tmp_path / "charts" / name / "1.0.0"
        destination.mkdir(parents=True)
        shutil.copy(FIXTURES / name / "Feature.yaml", destination / "Feature.yaml")

    run = run_cli("migrate", "feature", tmp_path / "charts", "--in-place")

    assert run.exit_code == 1
    assert run.stdout == ""
    for name in NAMES:
        written = (tmp_path / "charts" / name / "1.0.0" / "Feature.yaml").read_text()
        assert written == (FIXTURES / name / "expected.yaml").read_text(), name


def test_a_directory_on_stdout_names_each_file_before_it(tmp_path: Path) -> None:
    for name in PLANNED:
        (tmp_path / name).mkdir()
        shutil.copy(FIXTURES / name / "Feature.yaml", tmp_path / name / "Feature.yaml")

    run = run_cli("migrate", "feature", tmp_path)

    assert run.exit_code == 0
    expected = "".join(
        f"# ==> {tmp_path / name / 'Feature.yaml'} <==\n"
        + (FIXTURES / name / "expected.yaml").read_text()
        for name in PLANNED
    )
    assert run.stdout == expected


def test_a_feature_yaml_that_is_not_yaml_cannot_be_converted(tmp_path: Path) -> None:
    path = tmp_path / "Feature.yaml"
    path.write_text("values:\n  a: [unclosed\n")

    run = run_cli("migrate", "feature", path)

    assert run.exit_code == 2
    assert run.stderr.startswith(f"fasit: {path}:")
    assert run.stdout == ""


def test_a_directory_without_feature_yaml_cannot_be_converted(tmp_path: Path) -> None:
    run = run_cli("migrate", "feature", tmp_path)

    assert run.exit_code == 2
    assert run.stderr == f"fasit: {tmp_path}: no Feature.yaml under this directory\n"


def test_a_translation_that_renders_differently_is_kept_in_go_and_listed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Feature.yaml"
    path.write_text(
        "environmentKinds: [tenant, onprem]\n"
        "metadataValues: false\n"
        "values:\n"
        "  name:\n"
        "    computed: {template: '{{ .Env.name }}'}\n"
        "  flag:\n"
        '    computed: {template: \'{{ printf "%v-x" (eq .Kind "onprem") }}\'}\n'
    )

    run = run_cli("migrate", "feature", path)

    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        f"{path}:7:26: values.flag.computed.template: translated but not verified: go gave"
        ' "true-x", fasit gave "True-x" in a sample onprem environment',
        "fasit migrate: 1 template(s) translated in 1 file(s); 1 left for a person to finish",
    ]
    assert run.stdout.splitlines()[4:] == [
        "    computed: {template: '{{ env.name }}'}",
        "  flag:",
        '    # fasit migrate: translated but not verified: go gave "true-x", fasit gave'
        ' "True-x" in a sample onprem environment',
        '    # fasit migrate: the translation, to finish by hand: {{ (kind == "onprem") ~ "-x" }}',
        '    computed: {template: \'{{ printf "%v-x" (eq .Kind "onprem") }}\'}',
    ]


def test_a_translation_that_cannot_be_checked_is_kept_and_noted(tmp_path: Path) -> None:
    path = tmp_path / "Feature.yaml"
    path.write_text(
        "environmentKinds: [tenant]\n"
        "metadataValues: false\n"
        "values:\n"
        "  modern:\n"
        "    computed: {template: '{{ semverCompare \"^1.2\" .Env.version }}'}\n"
    )

    run = run_cli("migrate", "feature", path)

    assert run.exit_code == 0
    assert run.stderr.splitlines() == [
        f"{path}:5:26: values.modern.computed.template: not verified: the Go side cannot be"
        " evaluated here: semverCompare (Masterminds' constraint rules are not modelled here)",
        "fasit migrate: 1 template(s) translated in 1 file(s); 0 left for a person to finish;"
        " 1 translated but not verified",
    ]
    assert '{{ semver_compare(env.version, "^1.2") }}' in run.stdout


def test_explain_shows_where_each_value_of_a_converted_feature_on_legacy_came_from(
    tmp_path: Path,
) -> None:
    files, _ = _repository("naisd", (FIXTURES / "naisd" / "expected.yaml").read_text())
    write_tree(tmp_path / "repo", files)

    run = run_cli(
        "explain", "nav/prod-sbs", "naisd", tmp_path / "repo", "--format", "json",
        "--template-value", "IAPAudience=/projects/1/iap",
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr
    chart = "charts/naisd/1.0.0/Feature.yaml"
    assert {
        value["key"]: (value["value"], value["source"], f"{value['file']}:{value['line']}")
        for value in run.json["values"]
    } == {
        "cluster.env": ("prod-sbs", "computed", f"{chart}:31"),
        "cluster.tenant": ("nav", "computed", f"{chart}:29"),
        "iap.audience": ("/projects/1/iap", "computed", f"{chart}:34"),
        "image.tag": ("2026-12-01-abc", "feature-config", "features/naisd.yaml:5"),
        "ingress.host": ("naisd.prod-sbs.nav.cloud.nais.io", "computed", f"{chart}:37"),
        "isManagement": (False, "computed", f"{chart}:26"),
        "naisdKey": ("k-sbs", "computed", f"{chart}:23"),
        "proxy.https": ("http://webproxy.nais:8088", "computed", f"{chart}:41"),
        "proxy.noProxy": ("localhost", "computed", f"{chart}:45"),
        "replicas": (1, "computed", f"{chart}:51"),
    }

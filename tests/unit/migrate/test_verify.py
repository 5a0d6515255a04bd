"""A translation checked by rendering both sides in sample environments: the Go template with
the evaluator, the Jinja one with fasit's renderer, both outputs read as YAML."""

from __future__ import annotations

import pytest

from fasit.migrate import translate
from fasit.migrate.gotemplate import parse
from fasit.migrate.samples import samples_for
from fasit.migrate.verify import Check, Verdict, verify
from fasit.plan import TemplateEngine


@pytest.fixture
def engine() -> TemplateEngine:
    return TemplateEngine()


@pytest.mark.parametrize(
    "go",
    [
        pytest.param('{{ .Env.db.host }}:{{ index .Configs "db.port" }}', id="keys read"),
        pytest.param(
            '{{ if eq .Kind "onprem" "legacy" }}proxy{{ else if eq .Kind "management" }}mgmt'
            "{{ else }}direct{{ end }}",
            id="branches on the kind",
        ),
        pytest.param('{{ .Envs | mapOf "name" "project" | toJSON }}', id="keys named by a call"),
        pytest.param("{{ range $k, $v := .Env.labels }}{{ $k }}={{ $v }};{{ end }}", id="a map"),
        pytest.param('{{ subdomain . "grafana" }}', id="nais's subdomain"),
        pytest.param('{{ prefixedValues .Configs "allow." | toJSON }}', id="prefixed keys"),
        pytest.param(
            "{{ with .Env.a }}{{ .b }}{{ else with .Env.c }}{{ . }}{{ end }}", id="else with"
        ),
        pytest.param("{{ range $i := len .Envs }}{{ $i }};{{ end }}", id="range over an int"),
    ],
)
def test_a_faithful_translation_is_verified(go: str, engine: TemplateEngine) -> None:
    jinja = translate(go).text
    assert jinja is not None

    assert verify(go, jinja, engine) == Verdict(Check.VERIFIED)


def test_a_different_value_is_reported_with_both_sides(engine: TemplateEngine) -> None:
    verdict = verify("{{ .Env.name }}", "{{ env.name | upper }}", engine)

    assert verdict == Verdict(
        Check.DIFFERS, 'go gave "dev", fasit gave "DEV" in a sample tenant environment'
    )


def test_each_kind_compared_with_gets_its_own_sample(engine: TemplateEngine) -> None:
    go = '{{ if eq .Kind "onprem" }}proxy{{ else }}direct{{ end }}'
    wrong = '{% if kind == "legacy" %}proxy{% else %}direct{% endif %}'

    verdict = verify(go, wrong, engine)

    assert verdict == Verdict(
        Check.DIFFERS, 'go gave "proxy", fasit gave "direct" in a sample onprem environment'
    )


def test_printf_of_a_boolean_differs_in_text(engine: TemplateEngine) -> None:
    go = '{{ printf "%v-x" (eq .Kind "onprem") }}'
    jinja = translate(go).text
    assert jinja is not None

    verdict = verify(go, jinja, engine)

    assert verdict == Verdict(
        Check.DIFFERS, 'go gave "true-x", fasit gave "True-x" in a sample onprem environment'
    )


def test_fasit_failing_where_go_renders_is_a_difference(engine: TemplateEngine) -> None:
    verdict = verify("{{ .Env.name }}", "{{ env.nope }}", engine)

    assert verdict.check is Check.DIFFERS
    assert verdict.detail.startswith('go gave "dev", fasit failed in a sample tenant environment:')


def test_both_sides_failing_agree(engine: TemplateEngine) -> None:
    assert verify("{{ index .Envs 5 }}", "{{ envs[5] }}", engine) == Verdict(Check.VERIFIED)


def test_a_function_the_evaluator_does_not_model_is_not_verified(
    engine: TemplateEngine,
) -> None:
    verdict = verify('{{ semverCompare "^1.2" .Env.version }}', "{{ true }}", engine)

    assert verdict == Verdict(
        Check.UNVERIFIED,
        "the Go side cannot be evaluated here: semverCompare (Masterminds' constraint rules"
        " are not modelled here)",
    )


def test_go_failing_on_the_sample_alone_is_not_verified(engine: TemplateEngine) -> None:
    verdict = verify("{{ .Env.name.first }}", "{{ env.name }}", engine)

    assert verdict == Verdict(
        Check.UNVERIFIED,
        "the Go side fails in a sample tenant environment: can't evaluate field first in type"
        " string",
    )


def test_samples_take_the_kinds_compared_with_and_one_more() -> None:
    samples = samples_for(parse('{{ if eq .Kind "legacy" "onprem" }}x{{ end }}'))

    assert [sample.kind for sample in samples] == ["legacy", "onprem", "tenant"]


def test_samples_hold_what_the_template_reads() -> None:
    (sample,) = samples_for(parse('{{ .Env.db.host }}{{ index .Configs "a.b" }}{{ .Fasit.X }}'))

    assert sample.env["db"] == {"host": "host-dev"}
    assert sample.configs == {"a.b": "a.b-value"}
    assert sample.fasit == {"X": "X-value"}
    assert sample.env["domain"] == "dev.example.cloud.nais.io"


def test_samples_take_each_constant_a_value_is_compared_with() -> None:
    samples = samples_for(parse('{{ if eq .Env.zone "a" "b" }}x{{ end }}'))

    assert [sample.env["zone"] for sample in samples] == ["a", "b", "zone-dev"]

"""The Sprig functions fasit offers, each with the example docs/feature-authoring.md shows, and
the refusals: bad input named, a hostile pattern bounded, the non-deterministic ones explained."""

from __future__ import annotations

import hashlib

import pytest

from fasit.plan import RenderLimits, TemplateEngine, TemplateError
from fasit.plan.determinism import SPRIG_REFUSED
from tests.unit.plan.test_template_functions import CONTEXT, render


@pytest.mark.parametrize(
    ("template", "value"),
    [
        ('{{ env.domain | required("env needs a domain") }}', "dev.nav.example"),
        ('{{ regex_replace_all(env.domain, "\\\\.", "-") }}', "dev-nav-example"),
        ('{{ "nav-dev-1" | regex_replace_all("^(\\\\w+)-(\\\\w+)-(\\\\d+)$", "${2}.$1#$3") }}',
         "dev.nav#1"),
        ('{{ "a1b22" | regex_replace_all("(?P<n>\\\\d+)", "<${n}>") }}', "a<1>b<22>"),
        ('{{ "price" | regex_replace_all("^", "$$") }}', "$price"),
        ('{{ env.domain | trim_suffix(".example") }}', "dev.nav"),
        ('{{ "nav-dev" | trim_prefix("nav-") }}', "dev"),
        ("{{ configs.token | b32enc }}", "MFRGG==="),
        ('{{ "MFRGG===" | b32dec }}', "abc"),
        ("{{ configs.token | sha1sum }}", hashlib.sha1(b"abc").hexdigest()),
        ('{{ "1.4.2" | semver_compare("^1.2") }}', True),
        ('{{ semver_compare("2.0.0", ">=1.2 <2") }}', False),
        ('{{ env | has_key("domain") }}', True),
        ('{{ env.labels | has_key("c") }}', False),
        ("{{ {'a': 1, 'n': {'x': 1}} | merge({'a': 2, 'b': 3, 'n': {'x': 2, 'y': 2}}) }}",
         {"a": 1, "n": {"x": 1, "y": 2}, "b": 3}),
        ('{{ env | pick("name", "kind") }}', {"name": "dev", "kind": "tenant"}),
        ('{{ env | omit("labels", "domain") }}', {"name": "dev", "kind": "tenant"}),
        ('{{ env | dig("labels", "a", 0) }}', 1),
        ('{{ env | dig("db", "host", "localhost") }}', "localhost"),
        ("{{ from_yaml('a: [1, 2]').a }}", [1, 2]),
        ("{{ 'b: 1' | fromYaml | toYaml | quote }}", "b: 1\n"),
    ],
)  # fmt: skip
def test_function(template: str, value: object) -> None:
    assert render(template) == value


def test_the_first_mapping_wins_a_merge_and_none_is_changed() -> None:
    assert render(
        "{% set a = {'x': 1} %}{% set b = {'x': 2, 'y': 2} %}{{ [a | merge(b), a, b] }}"
    ) == [{"x": 1, "y": 2}, {"x": 1}, {"x": 2, "y": 2}]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ('{{ env.get("db") | required("set db on the environment") }}',
         "required: set db on the environment"),
        ('{{ "" | required }}', "required: a value is required here"),
        ('{{ "x" | regex_replace_all("(", "") }}', "regex_replace_all: bad pattern '('"),
        ('{{ "1.2" | semver_compare("^1") }}', "semver_compare: '1.2' is not a semantic version"),
        ('{{ "1.2.0" | semver_compare("^^1") }}', "'^^1' is not a version comparator"),
        ('{{ "!!" | b32dec }}', "b32dec: not base32"),
        ('{{ envs | pick("name") }}', "pick takes a mapping, got list"),
        ("{{ from_yaml('a: [1') }}", "from_yaml:"),
        ("{{ from_yaml('a: 1\\n---\\nb: 2') }}", "from_yaml: the text holds more than one"),
        ('{{ env | dig("name") }}', "dig takes at least one key and a default"),
    ],
)  # fmt: skip
def test_a_function_given_what_it_cannot_use_says_so(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("(", r"\(").replace("^", r"\^")):
        render(template)


def test_a_catastrophic_pattern_runs_in_linear_time() -> None:
    # (a+)+$ on "aaa…!" backtracks exponentially in Python's re; RE2 answers at once.
    assert render('{{ ("a" * 5000 ~ "!") | regex_replace_all("(a+)+$", "") | length }}') == 5001


def test_a_replacement_that_would_pass_the_output_budget_is_refused_before_it_is_built() -> None:
    engine = TemplateEngine(RenderLimits(max_output_chars=10_000))
    template = engine.compile('{{ ("a" * 5000) | regex_replace_all("", "xyz") }}')

    with pytest.raises(TemplateError, match="regex_replace_all"):
        engine.render(template, engine.context(CONTEXT))


@pytest.mark.parametrize(
    ("template", "why", "instead"),
    [
        ("{{ now() }}", "it reads the clock", "put the time you mean in a config value"),
        ("{{ uuidv4() }}", "it makes a new random id", "use sha256sum of a stable value"),
        ("{{ randAlphaNum(16) }}", "it makes random text", "generate it once and keep it"),
        ("{{ envs | shuffle }}", "it orders at random", "sort, or keep the order given"),
    ],
)
def test_a_non_deterministic_sprig_function_is_refused_saying_why_and_what_instead(
    template: str, why: str, instead: str
) -> None:
    with pytest.raises(TemplateError) as refused:
        render(template)

    assert "templates must be deterministic" in str(refused.value)
    assert why in str(refused.value)
    assert f"instead, {instead}" in str(refused.value)


@pytest.mark.parametrize("name", sorted(SPRIG_REFUSED))
@pytest.mark.parametrize("form", ["{{{{ {name}() }}}}", "{{{{ envs | {name} }}}}"])
def test_every_refused_sprig_name_is_refused_as_a_call_and_as_a_filter(
    name: str, form: str
) -> None:
    why, instead = SPRIG_REFUSED[name]

    with pytest.raises(TemplateError) as refused:
        render(form.format(name=name))

    assert f"`{name}` is not available: templates must be deterministic ({why}" in str(
        refused.value
    )
    assert f"instead, {instead}" in str(refused.value)

"""Computed-value templates: strict, typed by their YAML output, and bounded in work."""

from __future__ import annotations

from typing import Any

import pytest

from fasit.plan import RenderLimits, TemplateEngine, TemplateError

CONTEXT = {
    "kind": "tenant",
    "tenant": {"name": "nav"},
    "env": {"name": "prod", "kind": "tenant", "domain": "prod.nav.example", "nodes": 5},
    "envs": [{"name": "prod", "kind": "tenant"}, {"name": "dev", "kind": "tenant"}],
    "management": None,
    "configs": {"replicas": 3},
}


def render(template: str, engine: TemplateEngine | None = None, **context: Any) -> object:
    engine = engine or TemplateEngine()
    return engine.render(engine.compile(template), engine.context({**CONTEXT, **context}))


@pytest.mark.parametrize(
    ("template", "value"),
    [
        pytest.param("{{ env.nodes }}", 5, id="number"),
        pytest.param("{{ env.nodes > 3 }}", True, id="boolean"),
        pytest.param('"{{ env.nodes }}"', "5", id="quoted number stays a string"),
        pytest.param("{{ tenant.name }}-{{ env.name }}", "nav-prod", id="text"),
        pytest.param("{{ envs | each_of('name') }}", ["prod", "dev"], id="list as JSON"),
        pytest.param("{{ {'a': 1} }}", {"a": 1}, id="mapping as JSON"),
        pytest.param("{{ management }}", None, id="none is null"),
        pytest.param("2", 2, id="constant"),
        pytest.param("on", True, id="YAML 1.1 words are booleans"),
        pytest.param("info", "info", id="plain word"),
        pytest.param("{{ configs.replicas * 2 }}", 6, id="configs are visible"),
    ],
)
def test_the_output_is_read_as_yaml(template: str, value: object) -> None:
    assert render(template) == value


def test_a_missing_key_is_an_error_naming_the_keys_that_exist() -> None:
    with pytest.raises(TemplateError, match=r"no key 'project' here \(keys: domain, kind"):
        render("{{ env.project }}")


def test_a_syntax_error_names_its_line() -> None:
    with pytest.raises(TemplateError, match="template syntax, line 1"):
        render("{{ env.name ")


def test_output_that_is_not_yaml_is_an_error_quoting_it() -> None:
    with pytest.raises(TemplateError, match="not valid YAML"):
        render("*.{{ env.domain }}")


def test_templates_cannot_reach_python_internals() -> None:
    with pytest.raises(TemplateError, match="attribute '__class__' of 'str' object is unsafe"):
        render("{{ ''.__class__.__mro__[1].__subclasses__() }}")


def test_templates_cannot_include_other_files() -> None:
    with pytest.raises(TemplateError):
        render("{% include '/etc/passwd' %}")


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
                     id="nested loops"),
        pytest.param("{{ range(10000000) | list | length }}", id="long range"),
        pytest.param("{{ 'x' * 100000000 }}", id="string repetition"),
        pytest.param("{{ [1] * 100000000 }}", id="list repetition"),
        pytest.param("{{ 9 ** 9999999 }}", id="huge power"),
        pytest.param("{{ '%99999999d' % 1 }}", id="percent width"),
        pytest.param("{{ '{:99999999}'.format(1) }}", id="format width"),
        pytest.param("{{ 'x' | center(100000000) }}", id="padding filter"),
        pytest.param("{% for i in range(100) %}{{ 'y' * 1000 }}{% endfor %}", id="long output"),
    ],
)  # fmt: skip
def test_work_and_output_are_bounded(template: str) -> None:
    engine = TemplateEngine(RenderLimits(max_output_chars=65_536, max_steps=100_000))

    with pytest.raises(TemplateError, match=r"render limit|too long|too large|not allowed"):
        render(template, engine)


def test_compiled_templates_are_cached_by_source() -> None:
    engine = TemplateEngine()

    assert engine.compile("{{ env.name }}") is engine.compile("{{ env.name }}")


def test_a_compiled_template_knows_which_context_names_it_reads() -> None:
    compiled = TemplateEngine().compile("{{ envs | length }} {{ management.domain }} {{ x }}")

    assert compiled.names == {"envs", "management"}


def test_printing_a_function_is_an_error_not_a_memory_address() -> None:
    with pytest.raises(TemplateError, match="items is a function: call it"):
        render("{{ env.items }}")


def test_include_names_what_is_not_allowed() -> None:
    with pytest.raises(TemplateError, match="cannot include, import or extend"):
        render("{% include 'other' %}")


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("{{ 1 if 0[0] else 2 }}", id="condition"),
        pytest.param("{% for x in (not (env if 0[0] else env)) %}a{% endfor %}", id="in-a-loop"),
    ],
)
def test_a_constant_expression_that_fails_as_jinja_folds_it_is_a_template_error(
    template: str,
) -> None:
    # Jinja evaluates constant parts while compiling: `0[0]` fails there, not in the render.
    with pytest.raises(TemplateError, match="int object has no element 0") as raised:
        render(template)

    assert raised.value.kind == "UndefinedError"


def _render_over(engine: TemplateEngine, template: str, made: list[str], **env: Any) -> object:
    variables = {**CONTEXT, "env": env}

    def context() -> Any:
        made.append(template)
        return engine.context(variables)

    return engine.render_over(engine.compile(template), variables, context)


def test_a_template_over_the_same_values_read_renders_once() -> None:
    engine, made = TemplateEngine(), []

    first = _render_over(engine, "{{ env.name }}-1", made, name="prod", domain="a.example")
    second = _render_over(engine, "{{ env.name }}-1", made, name="prod", domain="b.example")

    assert (first, second, len(made)) == ("prod-1", "prod-1", 1)


def test_a_template_over_other_values_read_renders_again() -> None:
    engine, made = TemplateEngine(), []

    first = _render_over(engine, "{{ env.name }}-1", made, name="prod")
    second = _render_over(engine, "{{ env.name }}-1", made, name="dev")

    assert (first, second, len(made)) == ("prod-1", "dev-1", 2)


def test_values_equal_in_python_but_of_other_types_render_apart() -> None:
    engine, made = TemplateEngine(), []

    number = _render_over(engine, '"{{ env.on }}"', made, on=1)
    boolean = _render_over(engine, '"{{ env.on }}"', made, on=True)

    assert (number, boolean) == ("1", "true")


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("{{ env | length }}", id="a whole variable"),
        pytest.param("{{ env.labels.team }}", id="a mapping inside it"),
        pytest.param("{{ env.ratio }}", id="a float: 0.0 and -0.0 are equal and render apart"),
    ],
)
def test_a_template_reading_more_than_plain_values_renders_every_time(template: str) -> None:
    engine, made = TemplateEngine(), []

    for _ in range(2):
        _render_over(engine, template, made, labels={"team": "a"}, ratio=0.0)

    assert len(made) == 2


def test_a_template_calling_a_function_that_reads_the_context_renders_every_time() -> None:
    engine, made = TemplateEngine(), []

    first = _render_over(engine, '{{ subdomain("naisd") }}', made, domain="dev.example")
    second = _render_over(engine, '{{ subdomain("naisd") }}', made, domain="prod.example")

    assert (first, second) == ("naisd.dev.example", "naisd.prod.example")

"""Fuzzing the template sandbox: a template built from the sandbox's own filters, functions,
methods, operators and statements either renders within its budgets or fails as a
TemplateError with a kind; never another exception, never past the output budget, and never
more memory than a small multiple of it (measured with tracemalloc around the render).
"""

from __future__ import annotations

import tracemalloc

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from fasit.plan import RenderLimits, TemplateEngine, TemplateError
from fasit.plan.sizes import text_size
from tests.fuzzing import examples

# Small budgets, so that generated templates reach them often.
LIMITS = RenderLimits(max_output_chars=4_096, max_steps=2_000)
# A render may hold its output a few times over (chunks, the joined text, the YAML read of it)
# and Jinja's frames; a bomb that escaped its check would build megabytes.
MEMORY_BUDGET = 64 * LIMITS.max_output_chars + 256 * 1024

CONTEXT = {
    "kind": "tenant",
    "tenant": {"name": "nav"},
    "env": {"name": "prod", "kind": "tenant", "domain": "prod.nav.example", "nodes": 5},
    "envs": [{"name": "prod", "kind": "tenant"}, {"name": "dev", "kind": "tenant"}],
    "management": None,
    "configs": {"replicas": 3, "image": {"tag": "1.2.3"}},
}

_NAMES = (
    "env", "envs", "configs", "tenant", "kind", "management", "env.domain", "env.nodes",
    "envs[0]", "configs.image", "s", "ns.v", "x", "undefined_name", "range", "dict",
)  # fmt: skip
_FILTERS = (
    "abs", "attr('name')", "batch(3)", "b64dec", "b64enc", "capitalize", "center(90)", "count",
    "default('d')", "dictsort", "each_of('name')", "environments_as_map", "escape",
    "exclude('name', 'dev')", "filesizeformat", "first", "float", "format(1, 2)", "from_json",
    "groupby('name')", "indent(8)", "int", "items", "join", "join(s)", "last", "length", "list",
    "lower", "map('upper')", "map(attribute='name')", "map_join", "map_of('name', 'kind')",
    "max", "min", "pprint", "prefixed_values('a')", "quote", "reject('odd')",
    "rejectattr('name')", "replace('a', s)", "replace('', 'xy')", "reverse", "round",
    "select('even')", "selectattr('name', 'equalto', 'dev')", "sha256sum", "slice(4)", "sort",
    "string", "striptags", "subdomain('x')", "sum", "title", "to_json", "to_yaml", "tojson",
    "trim", "truncate(9)", "unique", "upper", "urlencode", "urlize", "where('name', 'prod')",
    "wordcount", "wordwrap(3)", "xmlattr",
)  # fmt: skip
_METHODS = (
    "upper()", "format(s, s)", "join([s, s])", "replace('o', s)", "center(100)", "ljust(99)",
    "zfill(50)", "expandtabs(64)", "split('.')", "strip()", "items()", "keys()", "values()",
    "get('name')", "count('a')", "startswith('p')", "splitlines()", "title()", "encode()",
    "__class__", "mro()", "__globals__", "pop()", "append(1)", "update({})",
)  # fmt: skip
_FUNCTIONS = (
    "range(5)", "range(100000)", "range(3, 0, -1)", "dict(a=1)", "namespace(v=1)",
    "cycler(1, 2).next()", "joiner(',')()", "to_json(envs)", "map_join(configs)",
    "environments_as_map(envs, 'name')", "quote(s)", "lipsum()",
)  # fmt: skip
_OPERATORS = ("+", "-", "*", "/", "//", "%", "**", "~", "==", "<", "and", "or", "in", "is")


def _atoms() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_NAMES),
        st.sampled_from(_FUNCTIONS),
        st.integers(-(10**6), 10**6).map(str),
        st.sampled_from(("0", "1", "2", "64", "1000", "1e300", "-0.5", "true", "none")),
        st.text(st.sampled_from("ax %{}.\\n\t'é"), max_size=6).map(repr),
        st.sampled_from(("[]", "{}", "[1, 2, 3]", "{'a': 1, 'b': [2]}", "'%s'", "'{}'")),
        st.sampled_from(("(s * 3000)", "([s] * 3000)", "(envs * 1000)", "('%s' * 100)")),
    )


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(_OPERATORS), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(inner, st.sampled_from(_FILTERS)).map(lambda t: f"({t[0]} | {t[1]})"),
            st.tuples(inner, st.sampled_from(_METHODS)).map(lambda t: f"{t[0]}.{t[1]}"),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
            st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
            inner.map(lambda e: f"{{'k': {e}}}"),
            inner.map(lambda e: f"(not {e})"),
        )

    return st.recursive(_atoms(), extend, max_leaves=8)


def _statements() -> st.SearchStrategy[str]:
    expression = _expressions()

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        body = st.lists(inner, min_size=1, max_size=3).map("".join)
        return st.one_of(
            st.tuples(expression, body).map(
                lambda t: f"{{% for x in {t[0]} %}}{t[1]}{{% endfor %}}"
            ),
            st.tuples(expression, body, body).map(
                lambda t: f"{{% if {t[0]} %}}{t[1]}{{% else %}}{t[2]}{{% endif %}}"
            ),
            st.tuples(body, expression).map(
                lambda t: f"{{% macro m(x) %}}{t[0]}{{% endmacro %}}{{{{ m({t[1]}) }}}}"
            ),
        )

    leaf = st.one_of(
        expression.map(lambda e: f"{{{{ {e} }}}}"),
        expression.map(lambda e: f"{{% set s = {e} %}}"),
        expression.map(lambda e: f"{{% set ns.v = {e} %}}"),
        st.sampled_from(("a: ", "- ", "\n", "{#c#}", "{{", "{% raw %}x{% endraw %}", "x")),
    )
    return st.recursive(leaf, extend, max_leaves=6)


def _templates() -> st.SearchStrategy[str]:
    prelude = "{% set s = 'ab' %}{% set ns = namespace(v='x') %}"
    return _statements().map(lambda body: prelude + body)


def _render(source: str) -> tuple[object, int]:
    """What `source` renders to (None when it fails with a TemplateError) and the render's
    peak memory in bytes (compiling is not counted: it is paid once per template)."""
    engine = TemplateEngine(LIMITS)
    try:
        compiled = engine.compile(source)
    except TemplateError as error:
        _check_error(error)
        return None, 0
    context = engine.context(CONTEXT)
    tracemalloc.start()
    try:
        value = engine.render(compiled, context)
    except TemplateError as error:
        _check_error(error)
        value = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return value, peak


def _check_error(error: TemplateError) -> None:
    assert error.kind, error
    assert error.message, error
    event(error.kind)


@settings(max_examples=examples(300))
@given(_templates())
@example("{% set s = 'ab' %}{% for x in range(100000) %}{{ s }}{% endfor %}")
@example("{% set ns = namespace(v='x' * 4000) %}{% for x in range(12) %}"
         "{% set ns.v = ns.v ~ ns.v %}{% endfor %}")  # fmt: skip
@example("{{ ([envs] * 3000) | tojson | length }}")
@example("{{ 'x'.ljust(300000000) | length }}")
@example("{{ 1 if 0[0] else 2 }}")  # UndefinedError from Jinja's constant folding, before
def test_a_generated_template_renders_within_its_budgets_or_fails_with_a_kind(
    source: str,
) -> None:
    value, peak = _render(source)

    event("peak KiB", peak // 102_400 * 100)
    assert peak <= MEMORY_BUDGET, f"{peak:,} bytes for {source!r}"
    assert text_size(value, LIMITS.max_output_chars) <= LIMITS.max_output_chars

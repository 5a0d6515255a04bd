"""Go templates translated into fasit's dialect: the text written, what it renders to in fasit's
sandbox (the value Go gives, worked out by hand), and what is left for a person."""

from __future__ import annotations

import pytest

from fasit.migrate import Untranslated, translate
from fasit.migrate.gotemplate import Position
from fasit.plan import TemplateEngine

CONTEXT = {
    "kind": "tenant",
    "tenant": {"name": "nav"},
    "env": {
        "name": "dev",
        "kind": "tenant",
        "domain": "dev.nav.example",
        "labels": {"b": "2", "a": "1"},
        "db": {"host": "db.dev", "port": 5432},
        "items": "a key named like a method",
    },
    "envs": [
        {"name": "dev", "kind": "tenant", "project": "nav-dev-1", "cidr": "10.0.0.0/16"},
        {"name": "prod", "kind": "tenant", "project": "nav-prod-1", "cidr": "10.1.0.0/16"},
    ],
    "management": {"name": "management", "kind": "management", "domain": "nav.example"},
    "configs": {"token": "abc", "allow.a": "x", "allow.b": "y"},
    "labels": {},
    "fasit": {"IAPAudience": "aud"},
}


def translated(template: str) -> str:
    translation = translate(template)
    assert translation.untranslated == ()
    assert translation.text is not None
    return translation.text


def render(template: str) -> object:
    engine = TemplateEngine()
    return engine.render(engine.compile(translated(template)), engine.context(CONTEXT))


@pytest.mark.parametrize(
    ("go", "jinja"),
    [
        (".Kind", "kind"),
        (".Tenant.Name", "tenant.name"),
        (".Env.domain", "env.domain"),
        (".Envs", "envs"),
        (".Management.domain", "management.domain"),
        (".Configs.token", "configs.token"),
        ('index .Configs "allow.a"', 'configs["allow.a"]'),
        (".Fasit.IAPAudience", "fasit.IAPAudience"),
        (".Env.items", 'env["items"]'),
        ('eq .Kind "onprem"', 'kind == "onprem"'),
        ('eq .Kind "onprem" "legacy"', 'kind in ["onprem", "legacy"]'),
        ("ne .Env.name .Management.name", "env.name != management.name"),
        ("lt 1 2", "1 < 2"),
        ("len .Envs", "envs | length"),
        ('.Envs | mapOf "name" "project"', 'map_of(envs, "name", "project")'),
        ('mapJoin "=" .Env.labels', 'map_join(env.labels, "=")'),
        ('environmentsAsMap "project,cidr" .Envs', 'environments_as_map(envs, "project,cidr")'),
        ('prefixedValues .Configs "allow."', 'prefixed_values(configs, "allow.")'),
        ('eachOf .Envs "cidr"', 'each_of(envs, "cidr")'),
        ('filter "name" "prod" .Envs', 'where(envs, "name", "prod")'),
        ('exclude "name" "prod" .Envs', 'exclude(envs, "name", "prod")'),
        ('join "," (eachOf .Envs "cidr")', 'each_of(envs, "cidr") | join(",")'),
        ('replace .Env.name "-" "_"', 'env.name | replace("-", "_")'),
        ('subdomain . "grafana"', 'subdomain("grafana")'),
        ('.Env.x | default "y"', 'env.x | default("y", true)'),
        ('regexReplaceAll "a" .Env.x "b"', 'regex_replace_all(env.x, "a", "b")'),
        ('semverCompare "^1" .Env.v', 'semver_compare(env.v, "^1")'),
        ('.Env.x | trimPrefix "a"', 'trim_prefix(env.x, "a")'),
        ('dig "a" "b" "d" .Env', 'dig(env, "a", "b", "d")'),
        ('printf "%s-%d" .Env.name 3', 'env.name ~ "-" ~ 3'),
    ],
)
def test_names_and_argument_order_become_fasits(go: str, jinja: str) -> None:
    assert translated("{{ " + go + " }}") == "{{ " + jinja + " }}"


@pytest.mark.parametrize(
    ("go", "value"),
    [
        pytest.param(
            "{{- range .Envs }}\n- {{ .name }}\n{{- end }}",
            ["dev", "prod"],
            id="range rebinds the dot to each item, trim markers as Go",
        ),
        pytest.param(
            "{{ range .Envs }}{{ if eq .name $.Env.name }}{{ .project }}{{ end }}{{ end }}",
            "nav-dev-1",
            id="$ is the root inside a range",
        ),
        pytest.param(
            "{{ range $i, $e := .Envs }}{{ if $i }},{{ end }}{{ $e.name }}{{ end }}",
            "dev,prod",
            id="range over a list gives index and item",
        ),
        pytest.param(
            "{{ range $k, $v := .Env.labels }}{{ $k }}={{ $v }};{{ end }}",
            "a=1;b=2;",
            id="range over a map gives keys in order",
        ),
        pytest.param(
            "{{ range .Env.labels }}{{ . }}{{ end }}",
            12,
            id="range over a map with no variables gives its values in key order",
        ),
        pytest.param(
            '{{ range $k, $v := .Env }}{{ if eq $k "domain" }}{{ $v }}{{ end }}{{ end }}',
            "dev.nav.example",
            id="range over the environment, a known map",
        ),
        pytest.param(
            "{{ with .Env.db }}{{ .host }}:{{ .port }}{{ end }}",
            "db.dev:5432",
            id="with rebinds the dot",
        ),
        pytest.param(
            '{{ with index .Env "cache" }}{{ .size }}{{ else }}{{ .Env.name }}{{ end }}',
            "dev",
            id="a missing key is false in with, and else keeps the outer dot",
        ),
        pytest.param(
            '{{ with pick .Env.db "host" }}{{ .host }}{{ end }}',
            "db.dev",
            id="with over a call keeps the value in a variable",
        ),
        pytest.param(
            "{{ if .Env.missing }}set{{ else }}unset{{ end }}",
            "unset",
            id="a missing key is false in if",
        ),
        pytest.param(
            '{{ $n := 1 }}{{ if eq .Kind "tenant" }}{{ $n = 2 }}{{ end }}{{ $n }}',
            2,
            id="assignment in an if",
        ),
        pytest.param(
            '{{ $env := "x" }}{{ $env }}-{{ .Env.name }}',
            "x-dev",
            id="a variable named like the context does not hide it",
        ),
        pytest.param(
            '{{ or .Env.missing "fallback" }}', "fallback", id="or gives its first true value"
        ),
        pytest.param('{{ and (eq .Kind "tenant") (not .Env.missing) }}', True, id="and, not, eq"),
        pytest.param('{{ printf "%q" .Env.name }}', "dev", id="printf %q quotes"),
        pytest.param(
            '{{ (index (filter "name" "prod" .Envs) 0).project }}',
            "nav-prod-1",
            id="fields of a parenthesised pipeline",
        ),
        pytest.param(
            "100% {% not a tag", "100% {% not a tag", id="text without actions, like a tag"
        ),
        pytest.param("{{ .Kind }} {% x", "tenant {% x", id="text that looks like Jinja"),
        pytest.param('{{ ternary "a" "b" (eq .Kind "tenant") }}', "a", id="ternary"),
        pytest.param("{{ list 1 2 | toJSON }}", [1, 2], id="list"),
        pytest.param('{{ dict "a" 1 | toJSON }}', {"a": 1}, id="dict"),
        pytest.param("{{ range 3 }}{{ . }};{{ end }}", "0;1;2;", id="range over an int (Go 1.22)"),
        pytest.param(
            "{{ range $i := len .Envs }}{{ $i }};{{ end }}",
            "0;1;",
            id="range over the int len gives, into a variable",
        ),
        pytest.param("{{ range 0 }}x{{ else }}none{{ end }}", "none", id="range over zero"),
        pytest.param(
            "{{ with .Env.cache }}{{ .size }}{{ else with .Env.db }}{{ .host }}{{ else }}none"
            "{{ end }}",
            "db.dev",
            id="else with (Go 1.23) rebinds the dot to its own value",
        ),
        pytest.param(
            "{{ with .Env.cache }}c{{ else with .Env.missing }}m{{ else }}{{ .Env.name }}{{ end }}",
            "dev",
            id="else with falls through to else with the outer dot",
        ),
        pytest.param(
            "a\n{{- with .Env.cache -}} c {{- else with .Env.db -}}\n {{ .port }} \n{{- end -}}\nb",
            "a5432b",
            id="else with keeps every trim marker",
        ),
    ],
)
def test_the_translation_renders_what_go_gives(go: str, value: object) -> None:
    assert render(go) == value


@pytest.mark.parametrize(
    ("go", "untranslated"),
    [
        pytest.param(
            "{{ .Env.name }} {{ now }}",
            Untranslated(
                Position(1, 20),
                "`now` reads the clock, and fasit's templates are deterministic: put the value"
                " in a config value",
            ),
            id="a clock",
        ),
        pytest.param(
            "{{ camelcase .Env.name }}",
            Untranslated(
                Position(1, 4),
                "function 'camelcase' has no translation (see docs/migrating-from-nais.md)",
            ),
            id="an unknown function",
        ),
        pytest.param(
            '{{ $x := "" }}{{ range .Envs }}{{ $x = .name }}{{ end }}',
            Untranslated(
                Position(1, 35),
                "$x is assigned inside a range but declared outside it; a Jinja loop keeps its"
                " own copy (write it with namespace() by hand)",
            ),
            id="an assignment out of a range",
        ),
        pytest.param(
            "{{ .Foo }}",
            Untranslated(Position(1, 4), "`.Foo` is not in nais/fasit's template context"),
            id="a field nais does not have",
        ),
        pytest.param(
            "{{ toJSON . }}",
            Untranslated(Position(1, 11), "`.` as a whole has no fasit equivalent"),
            id="the whole context",
        ),
        pytest.param(
            '{{ printf "%05d" 3 }}',
            Untranslated(Position(1, 4), "printf verb %0 (only %s, %v, %d and %q translate)"),
            id="a printf width",
        ),
        pytest.param(
            "{{ eq .Kind }}",
            Untranslated(Position(1, 4), "eq takes at least 2 arguments, here it gets 1"),
            id="too few arguments",
        ),
        pytest.param(
            "{{ range $i, $v := 3 }}{{ end }}",
            Untranslated(
                Position(1, 10), "range over an integer takes one variable (Go refuses two)"
            ),
            id="range over an int with two variables",
        ),
        pytest.param(
            "{{ range 1.5 }}{{ end }}",
            Untranslated(Position(1, 10), "range over a number that is not an integer"),
            id="range over a float",
        ),
        pytest.param(
            "{{ if .Env.x }}",
            Untranslated(Position(1, 16), "not a Go template: unexpected EOF: missing {{end}}"),
            id="a template Go refuses",
        ),
    ],
)
def test_what_has_no_translation_is_reported_where_it_is(
    go: str, untranslated: Untranslated
) -> None:
    translation = translate(go)

    assert translation.text is None
    assert translation.untranslated == (untranslated,)


def test_every_untranslatable_part_is_reported() -> None:
    translation = translate("{{ now }}\n{{ uuidv4 }}")

    assert [str(item.position) for item in translation.untranslated] == ["1:4", "2:4"]


def test_a_template_without_actions_is_a_constant() -> None:
    assert translate("http://proxy:8088").text == "http://proxy:8088"

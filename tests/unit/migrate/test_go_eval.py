"""Go templates executed with text/template's semantics: each case is written from the Go
documentation (text/template, fmt, Sprig, nais/fasit's pkg/feature functions) with the output
Go gives beside it."""

from __future__ import annotations

import re

import pytest

from fasit.migrate.go_eval import MAX_STEPS, execute
from fasit.migrate.go_values import GoExecError, GoStruct, NotEvaluable
from fasit.migrate.gotemplate import parse

ROOT = GoStruct(
    "MappingValues",
    {
        "Kind": "tenant",
        "Tenant": GoStruct("MappingTenant", {"Name": "nav"}),
        "Env": {
            "name": "dev",
            "domain": "dev.nav.example",
            "labels": {"b": "2", "a": "1"},
            "db": {"host": "db.dev", "port": 5432},
            "empty": "",
            "nothing": None,
            "ratio": 1.5,
        },
        "Envs": [
            {"name": "dev", "project": "nav-dev-1"},
            {"name": "prod", "project": "nav-prod-1"},
        ],
        "Management": {"name": "management"},
        "Configs": {"allow.a": "x", "allow.b": "y"},
        "Fasit": {"IAPAudience": "aud"},
    },
)


def run(template: str) -> str:
    return execute(parse(template), ROOT)


@pytest.mark.parametrize(
    ("template", "output"),
    [
        pytest.param("{{ .Kind }}/{{ .Tenant.Name }}", "tenant/nav", id="struct fields"),
        pytest.param("{{ .Env.db.host }}", "db.dev", id="map keys as fields"),
        pytest.param("{{ .Env.missing }}", "<no value>", id="a missing key prints no value"),
        pytest.param("{{ .Env.missing.deeper }}", "<no value>", id="fields of no value"),
        pytest.param("{{ .Env.db }}", "map[host:db.dev port:5432]", id="a map prints sorted"),
        pytest.param(
            "{{ .Envs }}",
            "[map[name:dev project:nav-dev-1] map[name:prod project:nav-prod-1]]",
            id="a list prints in brackets",
        ),
        pytest.param("{{ .Env.ratio }}", "1.5", id="a float prints shortest"),
        pytest.param('{{ index .Configs "allow.a" }}', "x", id="index of a map"),
        pytest.param('{{ index .Envs 1 "name" }}', "prod", id="index through a list"),
        pytest.param('{{ index .Configs "none" }}', "<no value>", id="index of a missing key"),
        pytest.param(
            '{{ len .Envs }} {{ len .Env.labels }} {{ len "é" }}',
            "2 2 2",
            id="len counts items and bytes",
        ),
        pytest.param('{{ .Env.name | printf "%s-x" }}', "dev-x", id="the piped value comes last"),
        pytest.param('{{ "a" | printf "%s%s" "b" }}', "ba", id="piped after the arguments"),
        pytest.param('{{ eq .Kind "onprem" "tenant" }}', "true", id="eq with several"),
        pytest.param('{{ eq .Env.missing "x" }}', "false", id="eq of no value is false"),
        pytest.param(
            '{{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1 2 }}',
            "true true true true false",
            id="comparisons",
        ),
        pytest.param("{{ and 1 0 2 }} {{ and 1 2 }}", "0 2", id="and gives the first false"),
        pytest.param('{{ or 0 "" "x" }} {{ or 0 "" }}', "x ", id="or gives the first true"),
        pytest.param("{{ or 1 .Env.nothing.field }}", "1", id="or stops at the first true"),
        pytest.param("{{ and 0 (index .Envs 9) }}", "0", id="and stops at the first false"),
        pytest.param(
            "{{ not .Env.empty }} {{ not .Env.labels }}",
            "true false",
            id="truth of empty and non-empty",
        ),
        pytest.param("{{ if .Env.missing }}y{{ else }}n{{ end }}", "n", id="if of no value"),
        pytest.param(
            '{{ if eq .Kind "onprem" }}a{{ else if eq .Kind "tenant" }}b{{ else }}c{{ end }}',
            "b",
            id="else if",
        ),
        pytest.param("{{ with .Env.db }}{{ .host }}{{ end }}", "db.dev", id="with rebinds dot"),
        pytest.param("{{ with .Env.empty }}y{{ else }}n{{ end }}", "n", id="with of empty"),
        pytest.param(
            "{{ with .Env.missing }}a{{ else with .Env.db }}{{ .port }}{{ else }}c{{ end }}",
            "5432",
            id="else with, Go 1.23",
        ),
        pytest.param("{{ range .Envs }}{{ .name }};{{ end }}", "dev;prod;", id="range a list"),
        pytest.param(
            "{{ range $k, $v := .Env.labels }}{{ $k }}={{ $v }};{{ end }}",
            "a=1;b=2;",
            id="range a map in key order",
        ),
        pytest.param(
            "{{ range $i, $e := .Envs }}{{ if $i }},{{ end }}{{ $e.name }}{{ end }}",
            "dev,prod",
            id="range with index and element",
        ),
        pytest.param(
            '{{ range $k, $v := fromYaml "2: b\\na: c\\n1: x" }}{{ $k }}{{ end }}',
            "12a",
            id="range over a map whose keys mix numbers and strings",
        ),
        pytest.param(
            "{{ range .Env.missing }}x{{ else }}none{{ end }}",
            "none",
            id="range of no value takes else",
        ),
        pytest.param("{{ range 3 }}{{ . }}{{ end }}", "012", id="range over an int, Go 1.22"),
        pytest.param("{{ range $n := 2 }}{{ $n }}{{ end }}", "01", id="range int into a var"),
        pytest.param("{{ range 0 }}x{{ else }}none{{ end }}", "none", id="range over zero"),
        pytest.param(
            "{{ range .Envs }}{{ if eq .name $.Env.name }}{{ .project }}{{ end }}{{ end }}",
            "nav-dev-1",
            id="$ is the root inside range",
        ),
        pytest.param(
            '{{ $n := 1 }}{{ if eq .Env.name "dev" }}{{ $n = 3 }}{{ end }}{{ $n }}',
            "3",
            id="assign reaches the outer variable",
        ),
        pytest.param(
            "{{ if true }}{{ $x := 1 }}{{ end }}{{ $x := 2 }}{{ $x }}",
            "2",
            id="a variable ends with its block",
        ),
        pytest.param("a  {{- 1 -}}  b", "a1b", id="trim markers"),
        pytest.param("x\n{{- if true }}\n y\n{{- end }}\nz", "x\n y\nz", id="trim in blocks"),
        pytest.param("a {{- /* note */ -}} b", "ab", id="a trimmed comment"),
        pytest.param("a{{/* a comment */}}b", "ab", id="comment"),
        pytest.param('{{ print 1 2 "a" "b" 3 }}', "1 2ab3", id="print spaces non-strings"),
        pytest.param('{{ println 1 "a" }}', "1 a\n", id="println spaces all"),
        pytest.param(
            '{{ printf "%s-%d %v %q %t" "a" 3 .Env.db "q" true }}',
            'a-3 map[host:db.dev port:5432] "q" true',
            id="printf verbs",
        ),
        pytest.param('{{ printf "%d" "x" }}', "%!d(string=x)", id="printf wrong type"),
        pytest.param('{{ printf "%s %s" "x" }}', "x %!s(MISSING)", id="printf missing"),
        pytest.param(
            '{{ printf "%5d|%-3s|%03d|%%" 42 "a" 7 }}',
            "   42|a  |007|%",
            id="printf width and flags",
        ),
        pytest.param("{{ 1e6 }} {{ 0.00001 }} {{ 3.0 }}", "1e+06 1e-05 3", id="floats as %v"),
    ],
)
def test_text_template_semantics(template: str, output: str) -> None:
    assert run(template) == output


@pytest.mark.parametrize(
    ("template", "output"),
    [
        pytest.param(
            '{{ .Envs | mapOf "name" "project" | toJSON }}',
            '{"dev":"nav-dev-1","prod":"nav-prod-1"}',
            id="mapOf and toJSON",
        ),
        pytest.param('{{ mapJoin "=" .Env.labels }}', "[a=1 b=2]", id="mapJoin"),
        pytest.param(
            '{{ environmentsAsMap "project" .Envs | toJSON }}',
            '{"dev":{"project":"nav-dev-1"},"prod":{"project":"nav-prod-1"}}',
            id="environmentsAsMap",
        ),
        pytest.param('{{ prefixedValues .Configs "allow." }}', "[x y]", id="prefixedValues"),
        pytest.param('{{ join "," (eachOf .Envs "name") }}', "dev,prod", id="eachOf and join"),
        pytest.param(
            '{{ (index (filter "name" "prod" .Envs) 0).project }}', "nav-prod-1", id="filter"
        ),
        pytest.param('{{ exclude "name" "prod" .Envs | len }}', "1", id="exclude"),
        pytest.param(
            '{{ subdomain . "grafana" }}', "grafana.dev.nav.cloud.nais.io", id="subdomain"
        ),
        pytest.param('{{ replace .Env.name "d" "D" }}', "Dev", id="nais's replace"),
        pytest.param('{{ (fromJSON `{"a": {"b": 7}}`).a.b }}', "7", id="fromJSON gives floats"),
        pytest.param('{{ toJSON "<&>" }}', '"\\u003c\\u0026\\u003e"', id="toJSON escapes HTML"),
        pytest.param(
            "{{ b64enc .Env.name }} {{ b32enc .Env.name }}", "ZGV2 MRSXM===", id="base64 and base32"
        ),
        pytest.param("{{ .Env.name | quote }} {{ quote 5 }}", '"dev" "5"', id="quote"),
        pytest.param(
            '{{ .Env.missing | default "d" }} {{ .Env.empty | default "e" }}'
            ' {{ .Env.name | default "x" }}',
            "d e dev",
            id="default of empty",
        ),
        pytest.param(
            '{{ regexReplaceAll "(\\\\w+)\\\\.(\\\\w+)" "a.b" "${2}-$1" }}',
            "b-a",
            id="regexReplaceAll expands groups",
        ),
        pytest.param(
            '{{ trimPrefix "dev." .Env.domain | trimSuffix ".example" }}',
            "nav",
            id="trimPrefix and trimSuffix",
        ),
        pytest.param(
            '{{ sha1sum "abc" }}', "a9993e364706816aba3e25717850c26c9cd0d89d", id="sha1sum"
        ),
        pytest.param('{{ hasKey .Env "db" }} {{ hasKey .Env "no" }}', "true false", id="hasKey"),
        pytest.param(
            '{{ dig "db" "host" "d" .Env }} {{ dig "db" "x" "d" .Env }}', "db.dev d", id="dig"
        ),
        pytest.param(
            '{{ pick .Env.db "host" }} {{ omit .Env.db "host" }}',
            "map[host:db.dev] map[port:5432]",
            id="pick and omit",
        ),
        pytest.param(
            '{{ merge (dict "a" 1) (dict "a" 2 "b" 3) }}',
            "map[a:1 b:3]",
            id="merge: the first wins",
        ),
        pytest.param(
            '{{ ternary "y" "n" true }} {{ empty "" }} {{ coalesce "" 0 "c" }}',
            "y true c",
            id="ternary empty coalesce",
        ),
        pytest.param(
            '{{ splitList "." .Env.domain | first }} {{ list 3 1 | last }}',
            "dev 1",
            id="splitList first last",
        ),
        pytest.param(
            '{{ contains "nav" .Env.domain }} {{ hasPrefix "dev" .Env.domain }}',
            "true true",
            id="contains and hasPrefix",
        ),
        pytest.param(
            '{{ required "need a domain" .Env.domain }}', "dev.nav.example", id="required given"
        ),
    ],
)
def test_nais_and_sprig_functions(template: str, output: str) -> None:
    assert run(template) == output


@pytest.mark.parametrize(
    ("template", "error"),
    [
        pytest.param(
            "{{ .Tenant.Id }}",
            "can't evaluate field Id in type MappingTenant",
            id="a struct has no such field",
        ),
        pytest.param(
            "{{ .Env.nothing.field }}",
            "nil pointer evaluating interface {}.field",
            id="a field of a nil value",
        ),
        pytest.param('{{ eq 1 "1" }}', "incompatible types for comparison", id="eq of kinds"),
        pytest.param("{{ lt true false }}", "invalid type for comparison", id="lt of bools"),
        pytest.param("{{ index .Envs 5 }}", "index out of range: 5", id="index out of range"),
        pytest.param(
            "{{ range $i, $v := 3 }}{{ end }}",
            "more than one variable",
            id="range int with two variables",
        ),
        pytest.param('{{ required "need it" .Env.missing }}', "need it", id="required missing"),
        pytest.param("{{ upper 5 }}", "expected string", id="a string parameter"),
        pytest.param(
            '{{ "a" | .Env.name }}', "can't give argument to non-function", id="piping into a field"
        ),
        pytest.param("{{ $y = 1 }}", "undefined variable: $y", id="assigning undeclared"),
    ],
)
def test_what_text_template_refuses_is_an_error(template: str, error: str) -> None:
    with pytest.raises(GoExecError, match=re.escape(error)):
        run(template)


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        pytest.param('{{ semverCompare "^1" "1.2.0" }}', "semverCompare", id="semver"),
        pytest.param('{{ printf "%x" 10 }}', "%x", id="a verb not modelled"),
        pytest.param("{{ range 1000000000 }}{{ end }}", f"past {MAX_STEPS} steps", id="bounded"),
    ],
)
def test_what_is_not_modelled_is_not_evaluable(template: str, reason: str) -> None:
    with pytest.raises(NotEvaluable, match=reason):
        run(template)

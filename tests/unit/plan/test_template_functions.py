"""The template functions, each with the example docs/feature-authoring.md shows."""

from __future__ import annotations

import hashlib

import pytest

from fasit.plan import TemplateEngine, TemplateError

CONTEXT = {
    "kind": "tenant",
    "tenant": {"name": "nav"},
    "env": {
        "name": "dev",
        "kind": "tenant",
        "domain": "dev.nav.example",
        "labels": {"b": 2, "a": 1},
    },
    "envs": [
        {"name": "dev", "kind": "tenant", "project": "nav-dev-1", "cidr": "10.0.0.0/16"},
        {"name": "prod", "kind": "tenant", "project": "nav-prod-1", "cidr": "10.1.0.0/16"},
    ],
    "management": {"name": "management", "kind": "management", "domain": "nav.example"},
    "configs": {"token": "abc", "allow.a": "x", "allow.b": "y", "other": "z"},
}


def render(template: str) -> object:
    engine = TemplateEngine()
    return engine.render(engine.compile(template), engine.context(CONTEXT))


@pytest.mark.parametrize(
    ("template", "value"),
    [
        ('{{ subdomain("grafana") }}', "grafana.dev.nav.example"),
        ('{{ "grafana" | subdomain }}', "grafana.dev.nav.example"),
        ('{{ envs | map_of("name", "project") }}', {"dev": "nav-dev-1", "prod": "nav-prod-1"}),
        ("{{ env.labels | map_join('=') }}", ["a=1", "b=2"]),
        (
            '{{ envs | environments_as_map("project,cidr") }}',
            {
                "dev": {"project": "nav-dev-1", "cidr": "10.0.0.0/16"},
                "prod": {"project": "nav-prod-1", "cidr": "10.1.0.0/16"},
            },
        ),
        ('{{ configs | prefixed_values("allow.") }}', ["x", "y"]),
        ('{{ envs | each_of("cidr") | join(",") }}', "10.0.0.0/16,10.1.0.0/16"),
        ('{{ envs | where("name", "prod") | each_of("project") }}', ["nav-prod-1"]),
        ('{{ envs | exclude("name", "prod") | each_of("project") }}', ["nav-dev-1"]),
        ('{{ to_json({"a": [1, 2]}) | quote }}', '{"a":[1,2]}'),
        ("{{ from_json('{\"a\": 1}').a }}", 1),
        ('{{ to_yaml({"a": 1}) | quote }}', "a: 1\n"),
        ("{{ configs.token | b64enc }}", "YWJj"),
        ('{{ "YWJj" | b64dec }}', "abc"),
        ("{{ 'yes' | quote }}", "yes"),
        ("{{ configs.token | sha256sum }}", hashlib.sha256(b"abc").hexdigest()),
        ("{{ management.domain if management else 'none' }}", "nav.example"),
    ],
)  # fmt: skip
def test_function(template: str, value: object) -> None:
    assert render(template) == value


def test_subdomain_needs_the_domain_value() -> None:
    engine = TemplateEngine()
    context = engine.context({**CONTEXT, "env": {"name": "dev", "kind": "tenant"}})

    with pytest.raises(TemplateError, match="needs the environment value `domain`"):
        engine.render(engine.compile('{{ subdomain("x") }}'), context)


def test_each_of_names_the_item_without_the_key() -> None:
    with pytest.raises(TemplateError, match="each_of: item 0 has no key 'region'"):
        render('{{ envs | each_of("region") }}')

"""The --notify-* values: parsed into sinks and routes, or refused with one line naming them."""

from __future__ import annotations

import pytest

from fasit.notify import (
    EventSeverity,
    NotifyConfig,
    Route,
    SinkConfig,
    SinkKind,
    parse_external_url,
    parse_route,
    parse_severity,
    parse_sink_url,
    shown_url,
)


def test_a_route_names_the_label_value_kind_and_url() -> None:
    sink = parse_route("tenant=acme=slack:https://hooks.slack.com/services/T/B/X", "route-1")

    assert sink == SinkConfig(
        "route-1",
        SinkKind.SLACK,
        "https://hooks.slack.com/services/T/B/X",
        Route("tenant", "acme"),
    )


def test_a_route_url_may_hold_equals_signs() -> None:
    sink = parse_route("team=a b=webhook:https://acme.example/hook?x=1&y=2", "route-1")

    assert (sink.route, sink.url) == (Route("team", "a b"), "https://acme.example/hook?x=1&y=2")


@pytest.mark.parametrize(
    "text",
    [
        "tenant=acme",
        "tenant=acme=https://acme.example/hook",
        "tenant=acme=email:ops@acme.example",
        "=acme=slack:https://hooks.slack.com/x",
    ],
    ids=["no url", "no kind", "an unknown kind", "no label"],
)
def test_a_malformed_route_is_refused_showing_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected LABEL=VALUE=KIND:URL with KIND webhook or"):
        parse_route(text, "route-1")


def test_a_route_to_something_other_than_http_is_refused() -> None:
    with pytest.raises(ValueError, match=r"--notify-route 'ftp://\*\*\*@x/\*\*\*': expected an"):
        parse_route("tenant=acme=webhook:ftp://u:p@x/y", "route-1")


@pytest.mark.parametrize(
    "url", ["hooks.example.net/x", "file:///etc/passwd", "http://", "http://host:99999/x"]
)
def test_a_sink_url_must_be_http_or_https_with_a_host(url: str) -> None:
    with pytest.raises(ValueError, match=r"^--notify-webhook '.*': expected an http:// or https"):
        parse_sink_url(url, "--notify-webhook")


def test_the_minimum_severity_is_one_of_three() -> None:
    assert parse_severity("warning") is EventSeverity.WARNING
    with pytest.raises(ValueError, match="expected one of info, warning, error"):
        parse_severity("critical")


def test_the_external_url_loses_its_trailing_slash_and_may_not_have_a_query() -> None:
    assert parse_external_url("https://fasit.example.net/") == "https://fasit.example.net"
    with pytest.raises(ValueError, match=r"--external-url .*: expected no query or fragment"):
        parse_external_url("https://fasit.example.net/?x=1")


def test_webhooks_need_the_key_they_are_signed_with() -> None:
    webhook = SinkConfig("webhook-1", SinkKind.WEBHOOK, "http://127.0.0.1:1/hook")

    with pytest.raises(ValueError, match="give --notify-secret-file"):
        NotifyConfig((webhook,))
    assert NotifyConfig((webhook,), b"key").sinks == (webhook,)


def test_slack_alone_needs_no_key() -> None:
    assert NotifyConfig((SinkConfig("slack", SinkKind.SLACK, "https://hooks.slack.com/x"),))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/SECRET", "https://hooks.slack.com/***"),
        ("http://user:pw@127.0.0.1:8080/hook", "http://***@127.0.0.1:8080/***"),
        ("https://token@example.net", "https://***@example.net"),
        ("https://example.net?token=1", "https://example.net/***"),
        ("https://example.net/", "https://example.net"),
        ("not a url", "***"),
    ],
    ids=["slack path", "user info", "token as user", "query", "root path", "no scheme"],
)
def test_urls_are_shown_without_their_credentials(url: str, shown: str) -> None:
    assert shown_url(url) == shown


def test_a_sink_repr_never_shows_its_url() -> None:
    sink = SinkConfig("slack", SinkKind.SLACK, "https://hooks.slack.com/services/T/B/SECRET")

    assert "SECRET" not in repr(sink)
    assert "SECRET" not in repr(NotifyConfig((sink,), b"key"))


def test_a_refused_route_shows_its_label_but_not_its_url_path() -> None:
    with pytest.raises(ValueError, match=r"^--notify-route 'tenant=acme=sms:https://h/\*\*\*'"):
        parse_route("tenant=acme=sms:https://h/services/SECRET", "route-1")

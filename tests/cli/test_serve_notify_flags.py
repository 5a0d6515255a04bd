"""`fasit serve --notify-*`: a bad value is exit 2 with one line naming the flag and the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import serve_refusal

HOOK = "http://127.0.0.1:9/hooks/fasit"


pytestmark = pytest.mark.usefixtures("root_logging_restored")


def refusal(tmp_path: Path, *arguments: str | Path) -> str:
    """The one line `fasit serve ARGUMENTS` exits 2 with."""
    refused = serve_refusal(tmp_path, *arguments)
    assert "\n" not in refused, refused
    return refused


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "notify-key"
    path.write_text("k3y\n", encoding="utf-8")
    return path


def test_a_webhook_that_is_not_http_is_refused(tmp_path: Path, key: Path) -> None:
    line = refusal(tmp_path, "--notify-webhook", "ftp://example.net", "--notify-secret-file", key)

    assert (
        line == "fasit: --notify-webhook 'ftp://example.net': expected an http:// or https:// URL"
    )


def test_a_webhook_without_a_signing_key_is_refused(tmp_path: Path) -> None:
    line = refusal(tmp_path, "--notify-webhook", HOOK)

    assert "give --notify-secret-file" in line


def test_a_missing_key_file_is_refused_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    line = refusal(tmp_path, "--notify-webhook", HOOK, "--notify-secret-file", missing)

    assert line == f"fasit: --notify-secret-file {missing}: No such file or directory"


def test_an_empty_key_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")

    line = refusal(tmp_path, "--notify-webhook", HOOK, "--notify-secret-file", empty)

    assert line == f"fasit: --notify-secret-file {empty}: the file is empty"


def test_an_unknown_severity_is_refused_listing_the_three(tmp_path: Path) -> None:
    line = refusal(tmp_path, "--notify-min-severity", "critical")

    assert line == ("fasit: --notify-min-severity 'critical': expected one of info, warning, error")


def test_a_malformed_route_is_refused_with_the_expected_form(tmp_path: Path) -> None:
    line = refusal(tmp_path, "--notify-route", "tenant=acme")

    assert "--notify-route 'tenant=acme': expected LABEL=VALUE=KIND:URL" in line


def test_a_slack_url_in_a_refusal_is_shown_without_its_secret_path(tmp_path: Path) -> None:
    line = refusal(tmp_path, "--notify-slack", "hooks.slack.com/services/T/B/SECRET")

    assert "SECRET" not in line


def test_an_external_url_with_a_query_is_refused(tmp_path: Path) -> None:
    line = refusal(tmp_path, "--external-url", "https://fasit.example.net/?a=b")

    assert line.endswith("expected no query or fragment")


def test_the_webhook_variable_lists_webhooks_separated_by_commas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: Path
) -> None:
    monkeypatch.setenv("FASIT_NOTIFY_WEBHOOK", f"{HOOK}, gopher://example.net")

    line = refusal(tmp_path, "--notify-secret-file", key)

    assert (
        line
        == "fasit: --notify-webhook 'gopher://example.net': expected an http:// or https:// URL"
    )

"""Values the server provides, read by templates as `fasit.KEY` (nais/fasit's `.Fasit.X`):
the value given, a placeholder where none are given, and a missing key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from fasit.plan import (
    Planner,
    ReleaseStatus,
    ServerValues,
    TemplateValueError,
    parse_template_value,
)
from tests.states import assignment, build, chart, computed, environment, feature, release, state

IAP = chart("iap", "1.0.0", {"audience": computed("{{ fasit.iapAudience }}")})


def iap_state() -> dict[str, str]:
    return state(IAP, feature("iap"), environment("nav", "prod"), assignment("iap", "1.0.0", {}))


def test_a_template_reads_the_value_the_server_gives(tmp_path: Path) -> None:
    planner = Planner(server_values=ServerValues({"iapAudience": "/projects/42/iap"}))

    planned = release(build(tmp_path, iap_state(), planner=planner), "nav/prod", "iap")

    assert planned.flat["audience"] == "/projects/42/iap"


def test_without_server_values_a_template_reads_a_placeholder(tmp_path: Path) -> None:
    planned = release(build(tmp_path, iap_state()), "nav/prod", "iap")

    assert planned.status is ReleaseStatus.PLANNED
    assert planned.flat["audience"] == "<fasit:iapAudience>"


def test_a_key_the_server_does_not_give_is_a_render_error_naming_those_it_does(
    tmp_path: Path,
) -> None:
    planner = Planner(server_values=ServerValues({"iapAudiences": "x", "region": "eu"}))

    planned = release(build(tmp_path, iap_state(), planner=planner), "nav/prod", "iap")

    assert planned.status is ReleaseStatus.RENDER_ERROR
    assert "no key 'iapAudience' here (keys: iapAudiences, region)" in planned.message


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("iapAudience", "expected KEY=VALUE"),
        ("iap-audience=x", "letters, digits and _ only"),
        ("1st=x", "not starting with a digit"),
    ],
)
def test_a_template_value_that_cannot_be_used_is_refused(given: str, message: str) -> None:
    with pytest.raises(TemplateValueError, match=message):
        parse_template_value(given)


def test_a_value_may_hold_an_equals_sign() -> None:
    assert parse_template_value("query=a=b") == ("query", "a=b")

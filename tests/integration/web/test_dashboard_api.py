"""The dashboard's JSON twins and pages over `fasit serve` with fake agents on the example
repository: every page answers in HTML and JSON, tables page and filter server-side, writes
are refused, and no secret value is ever in a response."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.processes import LOOPBACK
from tests.integration.serve.support import Served, example_secrets, serve_example

PAGES = [
    "/",
    "/features",
    "/features/aivenator",
    "/environments",
    "/environments/nav/prod",
    "/environments/nav/prod/features/aivenator",
    "/revisions",
]


def twin(page: str) -> str:
    return "/api/v1/overview" if page == "/" else "/api/v1" + page


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running, _ = serve_example(
        tmp_path_factory.mktemp("dashboard"), {"FASIT_FAKE_FAILING": "acme/staging"}
    )
    try:
        yield running
    finally:
        running.stop()


def fetch(served: Served, path: str, method: str = "GET") -> tuple[int, dict[str, str], str]:
    body = None if method in ("GET", "HEAD") else b"{}"
    request = urllib.request.Request(
        f"http://{LOOPBACK}:{served.http}{path}", method=method, data=body
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def refused(served: Served, path: str) -> tuple[int, Any]:
    """The status and JSON body of a request that is answered with an error."""
    status, _, body = fetch(served, path)
    return status, json.loads(body)


def twin_of(served: Served, page: str) -> Any:
    status, body = served.get(twin(page))
    assert status == 200, body
    return body


@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_html_with_a_policy_that_runs_only_its_own_script(
    served: Served, page: str
) -> None:
    status, headers, body = fetch(served, page)

    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert f'href="{twin(page)}"' in body  # the page links its JSON twin


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_a_json_twin(served: Served, page: str) -> None:
    status, headers, _ = fetch(served, twin(page))

    assert status == 200
    assert headers["content-type"] == "application/json"


def test_the_overview_counts_every_release_by_status_and_names_the_served_revision(
    served: Served,
) -> None:
    overview = twin_of(served, "/")

    releases = overview["releases"]
    assert sum(releases["counts"].values()) == releases["total"] == len(served.releases())
    assert releases["counts"]["FAILED"] == 2  # acme/staging's fake agent fails its deploys
    assert overview["served"]["revision"]
    assert overview["failed_revision"] is None
    assert overview["agents"] == {"connected": 8, "environments": 8}


def test_the_overview_puts_failed_pills_on_features_and_badges_on_environments(
    served: Served,
) -> None:
    overview = twin_of(served, "/")

    failing = {item["feature"]: item["failed"] for item in overview["features"] if item["failed"]}
    assert sum(failing.values()) == 2
    assert [(item["environment"], item["failed"]) for item in overview["attention"]] == [
        ("acme/staging", 2)
    ]


def test_a_feature_shows_each_environment_with_desired_and_running_version(
    served: Served,
) -> None:
    feature = twin_of(served, "/features/aivenator")

    rows = {row["environment"]: row for row in feature["releases"]["items"]}
    assert rows["nav/prod"]["desired_version"] == rows["nav/prod"]["running_version"] == "1.1.0"
    assert rows["nav/dev"]["desired_version"] == "1.2.0"
    assert rows["nav/prod"]["deployed_at"] is not None
    assert feature["registered"]["file"] == "features/aivenator.yaml"


def test_a_feature_lists_its_assignments_with_the_environments_each_matches(
    served: Served,
) -> None:
    assignments = twin_of(served, "/features/aivenator")["assignments"]

    stable, dev = assignments
    assert (stable["file"], stable["line"], stable["version"]) == (
        "assignments/aivenator/aiven.yaml",
        5,
        "1.1.0",
    )
    assert "nav/prod" in stable["environments"]
    assert "nav/dev" in stable["environments"]
    assert dev["environments"] == sorted(dev["environments"])
    assert "nav/dev" in dev["environments"]
    assert stable["won"] + dev["won"] == 4  # every aiven environment gets exactly one


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tenant=acme", {"acme/dev", "acme/management", "acme/prod", "acme/staging"}),
        ("label=env%3Dprod&label=tenant%3Dnav", {"nav/prod", "nav/prod-onprem"}),
        ("label=env%3Dprod&label=region%3Doslo-dc1", {"nav/prod-onprem"}),
        ("kind=management", {"acme/management", "nav/management"}),
        ("status=FAILED", {"acme/staging"}),
    ],
)
def test_environments_filter_server_side(served: Served, query: str, expected: set[str]) -> None:
    listing = twin_of(served, f"/environments?{query}")

    assert {item["environment"] for item in listing["items"]} == expected
    assert listing["total"] == len(expected)


def test_environments_page_through_the_whole_list_without_repeats(served: Served) -> None:
    first = twin_of(served, "/environments?per_page=3")
    seen = [item["environment"] for item in first["items"]]
    for page in range(2, first["pages"] + 1):
        seen += [
            i["environment"]
            for i in twin_of(served, f"/environments?per_page=3&page={page}")["items"]
        ]

    assert first["pages"] == 3
    assert len(seen) == len(set(seen)) == first["total"] == 8


def test_a_feature_filters_its_environments_by_status(served: Served) -> None:
    rows = twin_of(served, "/features/aivenator?status=DEPLOYED")["releases"]["items"]

    assert rows
    assert all(row["status"] == "DEPLOYED" for row in rows)
    assert "acme/staging" not in {row["environment"] for row in rows}


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("per_page=0", "per_page must be 1 or more"),
        ("per_page=100000", "per_page must be 1..1000"),
        ("page=two", "page must be a whole number"),
        ("status=SLEEPY", "status must be one of"),
        ("label=env", "label must be KEY=VALUE"),
    ],
)
def test_a_bad_query_is_a_400_that_says_why(served: Served, query: str, says: str) -> None:
    status, body = refused(served, f"/api/v1/environments?{query}")
    page_status, _, page = fetch(served, f"/environments?{query}")

    assert status == 400
    assert says in body["error"]
    assert page_status == 400
    assert says in page


@pytest.mark.parametrize(
    "page",
    ["/environments/nav/nowhere", "/features/nothing", "/environments/nav/prod/features/nothing"],
)
def test_something_that_does_not_exist_is_a_404_page_and_twin(served: Served, page: str) -> None:
    assert fetch(served, page)[0] == 404
    status, body = refused(served, twin(page))
    assert status == 404
    assert body["error"].startswith("no ")


def test_an_environment_shows_labels_agent_and_values_with_secrets_masked(
    served: Served,
) -> None:
    environment = twin_of(served, "/environments/nav/prod")

    assert environment["labels"]["tier"] == "critical"
    assert environment["agent"]["connected"] is True
    assert environment["agent"]["last_seen"] is not None
    assert environment["values"]["naisdKey"] == "***"
    assert environment["values"]["nodeCount"] == 12
    assert {row["feature"] for row in environment["releases"]} == {
        "aivenator",
        "ingress-nginx",
        "monitoring-crds",
        "naisd",
    }


def test_a_release_explains_each_value_with_its_file_and_line(served: Served) -> None:
    release = twin_of(served, "/environments/nav/prod/features/aivenator")

    values = {value["key"]: value for value in release["explanation"]["values"]}
    assert values["apiToken"] == {
        "key": "apiToken",
        "display_name": "Aiven API token",
        "value": "***",
        "secret": True,
        "source": "environment-config",
        "file": "configs/aivenator/nav-prod.yaml",
        "line": 7,
    }
    assert values["logLevel"]["value"] == "warn"
    winner = [a for a in release["explanation"]["assignments"] if a["won"]]
    assert [(a["file"], a["version"]) for a in winner] == [
        ("assignments/aivenator/aiven.yaml", "1.1.0")
    ]


def test_a_release_has_its_decision_and_deploy_history_with_agent_log_lines(
    served: Served,
) -> None:
    release = twin_of(served, "/environments/nav/prod/features/aivenator")

    assert release["decisions"][0]["reason"] == "unchanged"
    deploy = release["deploys"][0]
    assert deploy["state"] == "deployed"
    assert [state["state"] for state in deploy["states"]][-1] == "deployed"
    assert any("helm upgrade --install aivenator" in line["text"] for line in deploy["logs"])


def test_a_failing_release_shows_the_agents_error(served: Served) -> None:
    release = twin_of(served, "/environments/acme/staging/features/naisd")

    assert release["status"]["status"] == "FAILED"
    assert release["deploys"][0]["error"]


def test_revisions_list_the_served_revision_and_its_first_plan(served: Served) -> None:
    revisions = twin_of(served, "/revisions")

    served_one = revisions["items"][0]
    assert served_one["serving"] is True
    assert served_one["outcome"] == "served"
    assert served_one["plans"][0]["previous"] is None
    assert served_one["plans"][0]["total"] == len(served.releases())


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("page", [*PAGES, *(twin(page) for page in PAGES), "/api/v1/events"])
def test_every_write_is_a_405_that_explains(served: Served, page: str, method: str) -> None:
    status, headers, body = fetch(served, page, method)

    assert status == 405
    assert headers["allow"] == "GET, HEAD"
    assert "read-only" in body


def test_no_response_ever_contains_a_secret_value(served: Served) -> None:
    secrets = example_secrets()
    to_visit = [*PAGES, *(twin(page) for page in PAGES)]
    to_visit += ["/api/v1/releases?limit=5000", "/api/v1/status", "/metrics"]
    seen: set[str] = set()
    while to_visit and len(seen) < 200:
        path = to_visit.pop()
        if path in seen:
            continue
        seen.add(path)
        status, _, body = fetch(served, path)
        assert status == 200, path
        assert not [secret for secret in secrets if secret in body], path
        to_visit += [
            link.replace("&amp;", "&")
            for link in re.findall(r'href="(/[^"]*)"', body)
            if not link.startswith("/static/")
        ]

    assert len(seen) > 40  # every environment, feature and release page was read


# Every route with the filters it takes: a crawl gives each a bad value.
FILTERED = {
    "/api/v1/releases": ("status", "limit", "cursor"),
    "/features": ("status", "page", "per_page"),
    "/features/aivenator": ("status", "page", "per_page"),
    "/environments": ("status", "kind", "label", "page", "per_page"),
    "/revisions": ("page", "per_page"),
    "/matrix": ("status", "label", "limit", "page", "per_page"),
}
ROUTES = [
    (route, name)
    for page, names in FILTERED.items()
    for route in ([page] if page.startswith("/api/") else [page, twin(page)])
    for name in names
]
ACCEPTED = {"status": "DISABLED, KIND-MISMATCH, ", "kind": "tenant, management, onprem"}
PYTHON_WORDS = ("validation error", "Traceback", "ValueError", "invalid literal", "Error(")


@pytest.mark.parametrize(("route", "name"), ROUTES)
def test_every_bad_filter_on_every_route_is_a_400_in_our_words(
    served: Served, route: str, name: str
) -> None:
    status, _, body = fetch(served, f"{route}?{name}=%3Cb%3Ezz%00%FF")

    assert status == 400
    assert name in body
    assert ACCEPTED.get(name, "") in body
    if route.startswith("/api/"):  # the value given is escaped: no raw control characters
        assert "\x00" not in json.loads(body)["error"]
    else:  # and never markup in a page
        assert "<b>zz" not in body
    assert not any(word in body for word in PYTHON_WORDS), body


@pytest.mark.parametrize(
    ("route", "name", "value"),
    [(route, "status", "FAILED") for route, name in ROUTES if name == "status"]
    + [(route, "kind", "management") for route, name in ROUTES if name == "kind"],
)
def test_a_filter_in_another_case_returns_the_same_items(
    served: Served, route: str, name: str, value: str
) -> None:
    as_written = fetch(served, f"{route}?{name}={value}")
    swapped = fetch(served, f"{route}?{name}={value.swapcase()}")

    assert as_written[0] == swapped[0] == 200, swapped[2]
    if route.startswith("/api/"):
        assert json.loads(as_written[2]) == json.loads(swapped[2])
    else:
        assert _rows(as_written[2]) == _rows(swapped[2])


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr>.*?</tr>", html, re.S)

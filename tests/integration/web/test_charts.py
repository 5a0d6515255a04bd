"""`GET /charts/sha256:<hex>.tgz` over real HTTP: archives for agents holding a token, by digest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import requests

from fasit.agents import write_token_file
from tests.integration.conftest import TOKENS
from tests.integration.web_server import ChartServer

UNKNOWN = "sha256:" + "0" * 64


def get(url: str, token: str | None = TOKENS["nav/prod"]) -> requests.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return requests.get(url, headers=headers, timeout=10)


def test_an_agent_downloads_the_archive_at_the_url_its_instruction_names(
    served_charts: ChartServer,
) -> None:
    response = get(served_charts.web.url)

    assert response.status_code == 200
    assert response.content == served_charts.web_archive
    assert "sha256:" + hashlib.sha256(response.content).hexdigest() == served_charts.web.digest
    assert response.headers["Content-Type"] == "application/gzip"
    assert response.headers["ETag"] == f'"{served_charts.web.digest}"'
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"


def test_the_token_of_any_environment_may_download_any_archive(served_charts: ChartServer) -> None:
    response = get(served_charts.web.url, TOKENS["nav/dev"])

    assert response.status_code == 200


@pytest.mark.parametrize(
    "token", [pytest.param(None, id="no token"), pytest.param("guessed", id="unknown token")]
)
def test_a_request_without_a_valid_agent_token_is_refused(
    served_charts: ChartServer, token: str | None
) -> None:
    response = get(served_charts.web.url, token)

    assert response.status_code == 401
    assert response.text == "a valid agent token is required (Authorization: Bearer <token>)\n"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_taken_out_of_the_token_file_is_refused_from_then_on(
    served_charts: ChartServer, token_file: Path
) -> None:
    write_token_file(token_file, {"nav/dev": TOKENS["nav/dev"]})

    response = get(served_charts.web.url, TOKENS["nav/prod"])

    assert response.status_code == 401


def test_an_archive_not_held_is_not_found(served_charts: ChartServer) -> None:
    response = get(f"{served_charts.url}/charts/{UNKNOWN}.tgz")

    assert response.status_code == 404
    assert response.text == f"no chart archive {UNKNOWN} here\n"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("web-1.0.0.tgz", id="a chart file name"),
        pytest.param(f"{UNKNOWN}.tar.gz", id="another suffix"),
        pytest.param("sha256:" + "AB" * 32 + ".tgz", id="upper-case hex"),
    ],
)
def test_a_name_that_is_not_a_digest_archive_is_a_bad_request(
    served_charts: ChartServer, name: str
) -> None:
    response = get(f"{served_charts.url}/charts/{name}")

    assert response.status_code == 400
    assert response.text == f"{name!r} is not sha256:<64 lowercase hex>.tgz\n"


def test_an_unauthenticated_request_learns_nothing_of_the_name(served_charts: ChartServer) -> None:
    response = get(f"{served_charts.url}/charts/web-1.0.0.tgz", token=None)

    assert response.status_code == 401

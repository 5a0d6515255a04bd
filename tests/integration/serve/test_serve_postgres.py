"""`fasit serve --status-db postgresql://…`: the fleet's history is kept in PostgreSQL, and the
release pages read it back from there."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.integration.serve.support import copy_example, serve_state


def test_serve_on_postgres_keeps_the_fleets_history_in_the_database(
    tmp_path: Path, postgres_url: str
) -> None:
    served = serve_state(tmp_path, copy_example(tmp_path), None, "--status-db", postgres_url)
    try:
        environment, feature = next(
            pair for pair, item in served.releases().items() if item["status"] == "DEPLOYED"
        )
        status, page = served.get(f"/api/v1/environments/{environment}/features/{feature}")
    finally:
        served.stop()

    with psycopg.connect(postgres_url) as connection:
        deployed = connection.execute(
            "SELECT DISTINCT environment FROM deploys WHERE state = 'deployed'"
        ).fetchall()
    assert {row[0] for row in deployed} >= {environment}
    assert not (tmp_path / "status" / "status.db").exists()
    assert status == 200
    assert page["deploys"], page

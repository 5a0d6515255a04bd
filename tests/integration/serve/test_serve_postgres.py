"""`fasit serve --status-db postgresql://…`: the fleet's history is kept in PostgreSQL, and the
release pages read it back from there."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.integration.serve.support import EXAMPLE_SECRETS, copy_example, serve, settled


def test_serve_on_postgres_keeps_the_fleets_history_in_the_database(
    tmp_path: Path, postgres_url: str
) -> None:
    state = copy_example(tmp_path)
    served = serve(
        tmp_path,
        "--state-dir",
        str(state),
        "--secrets-dir",
        str(EXAMPLE_SECRETS),
        "--fake-agents",
        "--status-db",
        postgres_url,
    )
    try:
        served.until(lambda: settled(served), "the fleet to settle")
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

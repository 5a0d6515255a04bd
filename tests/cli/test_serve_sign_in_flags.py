"""`fasit serve --oidc-* --access --session-key-file`: what does not go together, or cannot be
used, is exit 2 naming the flag, before anything listens."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import serve_refusal

ISSUER = "https://sso.example.net/realms/fleet"


pytestmark = pytest.mark.usefixtures("root_logging_restored")


@pytest.fixture
def access(tmp_path: Path) -> Path:
    path = tmp_path / "access.yaml"
    path.write_text("groups: {fleet-admins: ['*']}\n", encoding="utf-8")
    return path


def test_an_issuer_without_an_access_file_is_refused(tmp_path: Path) -> None:
    line = serve_refusal(tmp_path, "--oidc-issuer", ISSUER, "--oidc-client-id", "fasit")

    assert line == (
        "fasit: --oidc-issuer and --access go together: sign-in says who someone is, the"
        " access file which tenants they see"
    )


def test_an_access_file_without_an_issuer_is_refused(tmp_path: Path, access: Path) -> None:
    assert "--oidc-issuer and --access go together" in serve_refusal(tmp_path, "--access", access)


def test_an_issuer_without_a_client_id_is_refused(tmp_path: Path, access: Path) -> None:
    line = serve_refusal(tmp_path, "--oidc-issuer", ISSUER, "--access", access)

    assert line == "fasit: --oidc-issuer needs --oidc-client-id (this dashboard at the provider)"


def test_a_client_id_without_an_issuer_is_refused(tmp_path: Path) -> None:
    line = serve_refusal(tmp_path, "--oidc-client-id", "fasit")

    assert line == "fasit: --oidc-client-id is given without --oidc-issuer"


def test_sign_out_at_the_provider_without_an_issuer_is_refused(tmp_path: Path) -> None:
    line = serve_refusal(tmp_path, "--oidc-sign-out-at-provider")

    assert line == "fasit: --oidc-sign-out-at-provider is given without --oidc-issuer"


def test_a_short_session_key_is_refused_without_showing_it(tmp_path: Path) -> None:
    key = tmp_path / "session.key"
    key.write_text("short-secret\n", encoding="utf-8")

    line = serve_refusal(tmp_path, "--session-key-file", key)

    assert f"--session-key-file {key}: 12 bytes; a session key has 32 or more" in line
    assert "short-secret" not in line


def test_a_bad_access_file_names_every_bad_place(tmp_path: Path) -> None:
    access = tmp_path / "access.yaml"
    access.write_text("groups:\n  devs: [Nav]\nteams: {}\n", encoding="utf-8")

    text = serve_refusal(
        tmp_path,
        *("--oidc-issuer", ISSUER, "--oidc-client-id", "fasit", "--access", access),
    )

    assert f"access file {access} is not valid:" in text
    assert f"{access}:2:9: groups: devs: 'Nav' is not a tenant" in text
    assert f"{access}:3:1: unknown section (expected groups, emails)" in text

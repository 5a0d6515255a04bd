"""Registry logins read from a docker-style config.json, as helm and oras write it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from fasit.charts import Credential, CredentialsError, load_docker_config


def write_config(tmp_path: Path, config: object) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def test_auth_entries_give_basic_credentials_per_host(tmp_path: Path) -> None:
    auth = base64.b64encode(b"ci:pa:ss").decode()
    path = write_config(tmp_path, {"auths": {"https://ghcr.io/v1/": {"auth": auth}}})

    assert load_docker_config(path).for_host("ghcr.io") == Credential("ci", "pa:ss")


def test_a_registry_token_is_used_as_a_bearer_token(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"auths": {"r.io": {"registrytoken": "tok"}}})

    assert load_docker_config(path).for_host("r.io") == Credential(token="tok")


def test_a_host_left_to_a_credential_helper_is_named_not_silently_anonymous(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path, {"auths": {"r.io": {}}, "credsStore": "desktop"})

    credentials = load_docker_config(path)

    assert credentials.for_host("r.io") is None
    assert credentials.helper_for("r.io") == "desktop"


def test_passwords_never_appear_in_a_credentials_repr() -> None:
    assert "hunter2" not in repr(Credential("ci", "hunter2", "tok3n"))
    assert "tok3n" not in repr(Credential("ci", "hunter2", "tok3n"))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", r"config.json:1:2: not JSON"),
        ('{"auths": []}', "'auths' must be an object"),
        ('{"auths": {"r.io": {"auth": "%%%"}}}', r"auths\['r.io'\].auth is not base64"),
        ('{"auths": {"r.io": {"identitytoken": "x"}}}', "identitytoken"),
    ],
)
def test_a_bad_config_says_where_and_what(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)

    with pytest.raises(CredentialsError, match=says):
        load_docker_config(path)


def test_a_missing_default_config_means_no_logins(tmp_path: Path) -> None:
    assert load_docker_config(tmp_path / "absent.json", missing_ok=True).by_host == {}


def test_a_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="no such registry credentials file"):
        load_docker_config(tmp_path / "absent.json")

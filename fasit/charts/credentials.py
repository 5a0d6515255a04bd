"""Registry credentials: explicit settings, or a docker-style `config.json`.

`helm registry login`, `oras login` and `docker login` all write the same file
(`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): `auths` maps a registry host to
`{"auth": base64("user:password")}` (or `username`/`password`), or to a `registrytoken` used as
a bearer token as it is. Credential helpers (`credsStore`, `credHelpers`) run programs and are
not supported: a registry named only there is reported, not silently anonymous.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from fasit.errors import CouldNotRun

__all__ = [
    "DOCKER_CONFIG_ENV",
    "Credential",
    "CredentialsError",
    "RegistryCredentials",
    "default_docker_config",
    "load_docker_config",
]

DOCKER_CONFIG_ENV: Final = "DOCKER_CONFIG"
_MAX_CONFIG_BYTES: Final = 1024 * 1024


class CredentialsError(CouldNotRun):
    """A credentials file that cannot be read or holds something fasit cannot use."""


@dataclass(frozen=True, slots=True)
class Credential:
    """Basic auth (`username` + `password`) or a bearer `token`; repr never shows secrets."""

    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class RegistryCredentials:
    """Credentials per registry host (`host` or `host:port`); hosts not named go anonymous."""

    by_host: Mapping[str, Credential] = field(default_factory=dict)
    # Hosts that config.json leaves to a credential helper, and the helper's name.
    helpers: Mapping[str, str] = field(default_factory=dict)

    def for_host(self, host: str) -> Credential | None:
        return self.by_host.get(host)

    def helper_for(self, host: str) -> str | None:
        return self.helpers.get(host)


def default_docker_config() -> Path:
    """Where docker, helm and oras keep registry logins."""
    directory = os.environ.get(DOCKER_CONFIG_ENV)
    return Path(directory) / "config.json" if directory else Path.home() / ".docker/config.json"


def load_docker_config(path: Path, *, missing_ok: bool = False) -> RegistryCredentials:
    """The credentials in a docker-style config.json; CredentialsError saying what is wrong."""
    try:
        with path.open("rb") as file:
            data = file.read(_MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        if missing_ok:
            return RegistryCredentials()
        raise CredentialsError(f"{path}: no such registry credentials file") from None
    except OSError as exc:
        raise CredentialsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > _MAX_CONFIG_BYTES:
        raise CredentialsError(f"{path}: larger than {_MAX_CONFIG_BYTES} bytes")
    try:
        config = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f":{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise CredentialsError(f"{path}{where}: not JSON: {exc}") from None
    if not isinstance(config, dict):
        raise CredentialsError(f"{path}: expected a JSON object")
    by_host = {
        _host(key): _credential(path, key, entry)
        for key, entry in _object(path, config, "auths").items()
    }
    helpers = {_host(key): str(name) for key, name in _object(path, config, "credHelpers").items()}
    store = config.get("credsStore")
    if isinstance(store, str) and store:
        # A default helper applies to every host config.json has an empty entry for.
        helpers = {
            **{host: store for host, cred in by_host.items() if cred == Credential()},
            **helpers,
        }
    return RegistryCredentials(
        {host: cred for host, cred in by_host.items() if cred != Credential()}, helpers
    )


def _object(path: Path, config: dict[str, object], key: str) -> dict[str, object]:
    value = config.get(key, {})
    if not isinstance(value, dict):
        raise CredentialsError(f"{path}: {key!r} must be an object of registry hosts")
    return value


def _host(key: str) -> str:
    """`https://index.docker.io/v1/` and `registry:5000` alike → the bare host[:port]."""
    return key.removeprefix("https://").removeprefix("http://").split("/", 1)[0]


def _credential(path: Path, host: str, entry: object) -> Credential:
    if not isinstance(entry, dict):
        raise CredentialsError(f"{path}: auths[{host!r}] must be an object")
    if entry.get("registrytoken"):
        return Credential(token=str(entry["registrytoken"]))
    if entry.get("auth"):
        try:
            decoded = base64.b64decode(str(entry["auth"]), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise CredentialsError(
                f"{path}: auths[{host!r}].auth is not base64 of 'user:password'"
            ) from None
        username, colon, password = decoded.partition(":")
        if not colon:
            raise CredentialsError(f"{path}: auths[{host!r}].auth decodes to no 'user:password'")
        return Credential(username, password)
    if entry.get("username") or entry.get("password"):
        return Credential(str(entry.get("username", "")), str(entry.get("password", "")))
    if entry.get("identitytoken"):
        raise CredentialsError(
            f"{path}: auths[{host!r}] holds an identitytoken (an OAuth2 refresh token), which"
            " fasit does not exchange; log in with a username and password or a registry token"
        )
    return Credential()

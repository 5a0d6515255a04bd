"""Fixtures running real servers on 127.0.0.1 for the integration tests: git servers, chart
registries, and fasit's chart route with the agent token file it checks.

Each server fixture starts its server before the test and stops it afterwards, also when the
test fails (the stop is in a context manager's exit). The git servers serve the bare
repositories below `git_root`; `git_work` puts one there, `repo.git`, holding one commit on
main. Startup is a few tens of milliseconds each (sshd included), so every fixture is per test
but the shared registries.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import helm_python
import pytest

from fasit.agents import write_token_file
from tests.helm_charts import CHARTS, HelmMadeChart, package_fixture
from tests.integration.git_servers import (
    REPOSITORY,
    GitDaemon,
    GitHttpServer,
    GitWork,
    Sshd,
    git_environment,
)
from tests.integration.oci_registry import OciRegistry
from tests.integration.postgres_server import PostgresServer
from tests.integration.web_server import ChartServer, chart_server

TOKENS = {"nav/prod": "prod-token", "nav/dev": "dev-token"}
"""The agents' tokens, by environment, that `token_file` holds."""


@pytest.fixture
def git_env(tmp_path: Path) -> dict[str, str]:
    """Environment for git commands: a private HOME, no system config, no prompts."""
    return git_environment(tmp_path / "home")


@pytest.fixture
def git_root(tmp_path: Path) -> Path:
    """The directory whose bare repositories the servers serve."""
    root = tmp_path / "served"
    root.mkdir()
    return root


@pytest.fixture
def git_work(tmp_path: Path, git_root: Path, git_env: dict[str, str]) -> GitWork:
    """`git_root/repo.git` and a work clone of it, with README.md committed and pushed to main."""
    work = GitWork.create(git_root / REPOSITORY, tmp_path / "work", git_env)
    work.write("README.md", "# test repository\n")
    work.commit("initial commit")
    work.push()
    return work


@pytest.fixture
def git_daemon(tmp_path: Path, git_root: Path, git_env: dict[str, str]) -> Iterator[GitDaemon]:
    """A running `git daemon` (push enabled): `git_daemon.url("repo.git")`."""
    with GitDaemon(git_root, git_env, tmp_path / "git-daemon.log") as daemon:
        yield daemon


@pytest.fixture
def git_http(git_root: Path, git_env: dict[str, str]) -> Iterator[GitHttpServer]:
    """A running smart-HTTP server: user fasit / password s3cret, or Bearer t0ken."""
    with GitHttpServer(git_root, git_env) as server:
        yield server


@pytest.fixture
def git_sshd(tmp_path: Path) -> Iterator[Sshd]:
    """A running sshd letting the current user in with `git_sshd.client_key`."""
    with Sshd(tmp_path / "sshd") as sshd:
        yield sshd


@pytest.fixture(scope="session")
def oci_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OciRegistry]:
    """A registry without auth, shared by the session: tests push to repositories of their own."""
    with OciRegistry(tmp_path_factory.mktemp("registry")) as registry:
        yield registry


@pytest.fixture(scope="session")
def basic_auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OciRegistry]:
    """A registry that wants `REGISTRY_USERNAME`/`REGISTRY_PASSWORD` (htpasswd, bcrypt)."""
    with OciRegistry(tmp_path_factory.mktemp("registry-auth"), basic_auth=True) as registry:
        yield registry


@pytest.fixture
def own_registry(tmp_path: Path) -> Iterator[OciRegistry]:
    """A registry of this test's own, which it may stop and start again."""
    with OciRegistry(tmp_path / "registry") as registry:
        yield registry


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    """The controller's agent token file for TOKENS."""
    path = tmp_path / "agent-tokens.yaml"
    write_token_file(path, TOKENS)
    return path


@pytest.fixture
def served_charts(tmp_path: Path, token_file: Path) -> Iterator[ChartServer]:
    """fasit's chart route on uvicorn at 127.0.0.1, with web 1.0.0 (in-repo) published."""
    with chart_server(tmp_path / "state", token_file) as server:
        yield server


@pytest.fixture(scope="session")
def helm_made_charts(
    oci_registry: OciRegistry, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, HelmMadeChart]:
    """Every chart of tests/fixtures/helm-charts/, packaged by `helm_python.package` and pushed
    by `helm_python.push` to `oci_registry` under helm-made/<name>, by name."""
    scratch = tmp_path_factory.mktemp("helm-made")
    pushed = {}
    for name in CHARTS:
        packaged = package_fixture(name, scratch / name)
        helm_python.push(packaged.archive, oci_registry.url("helm-made"), plain_http=True)
        repository = f"helm-made/{name}"
        digest = oci_registry.manifest_digest(repository, packaged.version.replace("+", "_"))
        pushed[name] = HelmMadeChart(packaged, oci_registry.url(repository), digest)
    return pushed


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database of the session's PostgreSQL."""
    return postgres_server.database()

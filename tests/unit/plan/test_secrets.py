"""Secrets: resolved by a provider, placeholders without one, masked wherever people read,
and real in the release hash; computed values that depend on a secret are masked too."""

from __future__ import annotations

from pathlib import Path

import pytest

from fasit.plan import MASK, Placeholders, ReleaseStatus, SecretMissing, SecretsDirectory
from tests.helpers import write_tree
from tests.states import (
    assignment,
    build,
    chart,
    computed,
    config,
    configurable,
    environment,
    feature,
    release,
    state,
)

SECRET_STATE = state(
    chart(
        "x",
        "1.0.0",
        {
            "token": configurable(secret=True),
            "url": computed("https://user:{{ configs.token }}@db"),
            "agentKey": computed("{{ env.agentKey }}"),
            "plain": computed("{{ env.name }}"),
            "length": computed("{{ configs.token | length }}"),
        },
    ),
    feature("x"),
    environment("nav", "prod", values={"agentKey": {"secretRef": "nav-prod-agent"}}),
    config("x", "nav/prod", {"token": {"secretRef": "nav-prod-token"}}),
    assignment("x", "1.0.0", {}),
)


def secrets(directory: Path, token: str = "s3cret-token") -> Path:
    return write_tree(directory, {"nav-prod-token": token + "\n", "nav-prod-agent": "agent-k3y"})


def test_a_secrets_directory_resolves_references_to_file_contents(tmp_path: Path) -> None:
    prod = release(build(tmp_path / "repo", SECRET_STATE, secrets(tmp_path / "s")), "nav/prod", "x")

    assert prod.flat["token"] == "s3cret-token"  # one trailing newline dropped
    assert prod.flat["url"] == "https://user:s3cret-token@db"
    assert prod.flat["agentKey"] == "agent-k3y"


def test_secrets_and_values_computed_from_them_are_masked_for_people(tmp_path: Path) -> None:
    prod = release(build(tmp_path / "repo", SECRET_STATE, secrets(tmp_path / "s")), "nav/prod", "x")
    shown = prod.shown_values()

    assert prod.secret_keys == {"token", "url", "agentKey", "length"}
    assert shown["token"] == shown["url"] == shown["agentKey"] == MASK
    assert shown["plain"] == "prod"
    assert "s3cret" not in repr([source.shown for source in prod.sources()])


def test_without_a_provider_references_render_as_placeholders_and_nothing_fails(
    tmp_path: Path,
) -> None:
    prod = release(build(tmp_path, SECRET_STATE), "nav/prod", "x")

    assert prod.status is ReleaseStatus.PLANNED
    assert prod.flat["token"] == "<secret:nav-prod-token>"
    assert prod.secret_keys == {"token", "url", "agentKey", "length"}


def test_the_release_hash_uses_the_real_secret_values(tmp_path: Path) -> None:
    one = release(build(tmp_path / "a", SECRET_STATE, secrets(tmp_path / "s1")), "nav/prod", "x")
    other = release(
        build(tmp_path / "b", SECRET_STATE, secrets(tmp_path / "s2", "other")), "nav/prod", "x"
    )

    assert one.shown_values() == other.shown_values()
    assert one.release_hash != other.release_hash


def test_a_missing_secret_is_a_render_error_for_that_release_only(tmp_path: Path) -> None:
    write_tree(tmp_path / "s", {"nav-prod-agent": "agent-k3y", "nav-dev-token": "dev-token"})
    files = state(
        SECRET_STATE,
        environment("nav", "dev", values={"agentKey": {"secretRef": "nav-prod-agent"}}),
        config("x", "nav/dev", {"token": {"secretRef": "nav-dev-token"}}),
    )
    result = build(tmp_path / "repo", files, tmp_path / "s")

    prod = release(result, "nav/prod", "x")
    assert prod.status is ReleaseStatus.RENDER_ERROR
    assert "nav-prod-token" in prod.message
    assert release(result, "nav/dev", "x").status is ReleaseStatus.PLANNED


def test_render_errors_never_carry_a_secrets_text(tmp_path: Path) -> None:
    files = state(
        chart("x", "1.0.0", {"broken": computed("{{ env.key }}: [")}),  # not YAML: quoted back
        feature("x"),
        environment("nav", "prod", values={"key": {"secretRef": "k"}}),
        assignment("x", "1.0.0", {}),
    )
    write_tree(tmp_path / "s", {"k": "topsecretvalue"})
    prod = release(build(tmp_path / "repo", files, tmp_path / "s"), "nav/prod", "x")

    assert prod.status is ReleaseStatus.RENDER_ERROR
    assert prod.message == (
        "broken: the output is not valid YAML"
        " (the message is withheld: this template may read a secret)"
    )


@pytest.mark.parametrize("name", ["../escape", ".hidden", "a/b", ""])
def test_secret_names_are_plain_file_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(SecretMissing, match="plain file name"):
        SecretsDirectory(tmp_path).resolve(name)


def test_the_secrets_directory_version_changes_when_a_secret_changes(tmp_path: Path) -> None:
    directory = SecretsDirectory(secrets(tmp_path))
    before = directory.version()
    (tmp_path / "nav-prod-token").write_text("rotated, and longer than before")

    assert directory.version() != before
    assert Placeholders().version() == Placeholders().version()


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("{{ envs | each_of('agentKey') }}", id="envs holds the environment itself"),
        pytest.param("{{ env.values() | list }}", id="a mapping method reads every key"),
        pytest.param("{{ env.items() | list }}", id="items"),
        pytest.param("{% for k in env %}{{ env[k] }}{% endfor %}", id="a key not known in advance"),
    ],
)
def test_every_way_of_reading_a_secret_is_masked(tmp_path: Path, template: str) -> None:
    files = state(
        chart("x", "1.0.0", {"leak": computed(f"'{template}'")}),
        feature("x"),
        environment("solo", "only", values={"agentKey": {"secretRef": "k"}}),
        assignment("x", "1.0.0", {}),
    )
    write_tree(tmp_path / "s", {"k": "only-secret-9f2"})
    only = release(build(tmp_path / "repo", files, tmp_path / "s"), "solo/only", "x")

    assert only.status is ReleaseStatus.PLANNED, only.message
    assert "only-secret-9f2" in repr(only.flat["leak"])
    assert only.shown_values()["leak"] == MASK


def test_a_missing_secret_fails_only_the_templates_that_may_read_it(tmp_path: Path) -> None:
    files = state(
        chart(
            "x",
            "1.0.0",
            {"name": computed("{{ env.name }}"), "key": computed("{{ env.agentKey | quote }}")},
        ),
        feature("x"),
        environment("nav", "prod", values={"agentKey": {"secretRef": "absent"}}),
        assignment("x", "1.0.0", {}),
    )
    write_tree(tmp_path / "s", {"other": "x"})
    prod = release(build(tmp_path / "repo", files, tmp_path / "s"), "nav/prod", "x")

    assert prod.status is ReleaseStatus.RENDER_ERROR
    assert prod.message.startswith("key: secret 'absent' is not in")
    assert "name:" not in prod.message

"""Which GitHub repository a state remote names: https, ssh and scp-like forms."""

from __future__ import annotations

import pytest

from fasit.github import GitHubRepository, api_host, github_repository

STATE = GitHubRepository("github.com", "nais", "fasit-state")


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/nais/fasit-state.git",
        "https://github.com/nais/fasit-state",
        "https://x-access-token:s3cret@github.com/nais/fasit-state.git",
        "http://github.com/nais/fasit-state/",
        "ssh://git@github.com/nais/fasit-state.git",
        "ssh://git@github.com:22/nais/fasit-state",
        "git@github.com:nais/fasit-state.git",
        "github.com:nais/fasit-state",
        "https://GitHub.com/nais/fasit-state.git",
    ],
)
def test_every_form_of_a_github_remote_names_owner_and_repository(url: str) -> None:
    assert github_repository(url) == STATE


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.com/nais/fasit-state.git",
        "git@bitbucket.org:nais/fasit-state.git",
        "/srv/git/fasit-state.git",
        "file:///srv/git/fasit-state.git",
        "https://github.com/nais",
        "https://github.com/nais/fasit-state/tree/main",
        "https://github.com/nais/fasit state",
    ],
)
def test_a_remote_that_is_no_github_repository_names_none(url: str) -> None:
    assert github_repository(url) is None


def test_credentials_in_the_url_are_not_kept() -> None:
    found = github_repository("https://user:s3cret@github.com/nais/fasit-state.git")

    assert "s3cret" not in repr(found)


def test_an_enterprise_remote_is_found_on_the_api_host() -> None:
    host = api_host("https://ghe.example.net/api/v3")

    assert github_repository("git@ghe.example.net:team/state.git", host) == GitHubRepository(
        "ghe.example.net", "team", "state"
    )
    assert github_repository("git@github.com:team/state.git", host) is None


def test_the_public_api_serves_github_com() -> None:
    assert api_host("https://api.github.com") == "github.com"

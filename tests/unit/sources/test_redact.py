"""A repository URL as shown to a person: the secret in its user-info is masked."""

from __future__ import annotations

import pytest

from fasit.sources import GitLocation
from fasit.sources.redact import redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pass@host/repo.git", "http://user:***@host/repo.git"),
        ("https://user:p@ss@host:8443/r.git", "https://user:***@host:8443/r.git"),
        ("https://token@host/org/repo", "https://***@host/org/repo"),
        ("https://user:@host/r", "https://user:***@host/r"),
        ("ssh://user:pw@host/org/repo.git", "ssh://user:***@host/org/repo.git"),
        ("ssh://git@host/org/repo.git", "ssh://git@host/org/repo.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("https://host/repo.git", "https://host/repo.git"),
        ("git://host/repo.git", "git://host/repo.git"),
        ("https://host/path@v1", "https://host/path@v1"),
        ("/srv/git/repo.git", "/srv/git/repo.git"),
    ],
)
def test_a_url_is_shown_without_its_secret(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_a_location_is_described_redacted_and_connects_with_the_real_url() -> None:
    location = GitLocation("http://user:secret@host/repo.git", "main", "deploy")

    assert location.description == "http://user:***@host/repo.git@main:deploy"
    assert location.url == "http://user:secret@host/repo.git"

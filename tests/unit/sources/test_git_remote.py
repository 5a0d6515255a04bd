"""Pure parts of the git remote: which advertised ref a location means, and why a call failed."""

from __future__ import annotations

import socket
import ssl

import pytest
import urllib3.exceptions
from dulwich.client import HTTPUnauthorized
from dulwich.errors import GitProtocolError, HangupException

from fasit.errors import SourceUnavailable
from fasit.sources import GitAuth, GitLocation, RemoteCause
from fasit.sources.git_causes import classify
from fasit.sources.git_remote import _pick_ref

MAIN = b"1" * 40
TAG = b"2" * 40
REFS = {b"HEAD": MAIN, b"refs/heads/main": MAIN, b"refs/tags/v1": TAG}


@pytest.mark.parametrize(
    ("ref", "sha"),
    [("HEAD", MAIN), ("main", MAIN), ("v1", TAG), ("refs/heads/main", MAIN)],
)
def test_a_ref_is_found_as_git_would(ref: str, sha: bytes) -> None:
    assert _pick_ref(GitLocation("git://x/r.git", ref), REFS) == sha.decode()


def test_a_name_that_is_both_a_branch_and_a_tag_must_be_written_in_full() -> None:
    refs = {**REFS, b"refs/tags/main": TAG}

    with pytest.raises(SourceUnavailable) as raised:
        _pick_ref(GitLocation("git://x/r.git", "main"), refs)

    assert str(raised.value) == (
        "git://x/r.git: 'main' is both a branch and a tag; write refs/heads/main or refs/tags/main"
    )


def test_a_missing_ref_lists_the_refs_there_are() -> None:
    with pytest.raises(SourceUnavailable) as raised:
        _pick_ref(GitLocation("git://x/r.git", "release"), REFS)

    assert raised.value.cause == RemoteCause.REF_MISSING
    assert str(raised.value).endswith("no branch or tag named 'release' (the remote has main, v1)")


def test_a_pinned_sha_is_recognised() -> None:
    assert GitLocation("git://x/r.git", "a" * 40).pinned
    assert not GitLocation("git://x/r.git", "a" * 39).pinned


def refused_by_urllib3() -> BaseException:
    # urllib3's connection error subclasses its timeout error; the refusal must win.
    new_connection = urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
    new_connection.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return urllib3.exceptions.MaxRetryError(None, "/x", new_connection)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (HTTPUnauthorized("No valid credentials provided", "http://x"), RemoteCause.AUTH),
        (socket.gaierror(-2, "Name or service not known"), RemoteCause.DNS),
        (ConnectionRefusedError(111, "Connection refused"), RemoteCause.REFUSED),
        (refused_by_urllib3(), RemoteCause.REFUSED),
        (ssl.SSLCertVerificationError("certificate verify failed"), RemoteCause.TLS),
        (TimeoutError("timed out"), RemoteCause.TIMEOUT),
        (HangupException([b"Host key verification failed.\r"]), RemoteCause.HOST_KEY),
        (HangupException([b"git@x: Permission denied (publickey).\r"]), RemoteCause.AUTH),
        (
            GitProtocolError("access denied or repository not exported: /r.git"),
            RemoteCause.NOT_FOUND,
        ),
        (OSError(101, "Network is unreachable"), RemoteCause.UNREACHABLE),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_a_failed_call_is_given_its_cause(error: BaseException, cause: RemoteCause) -> None:
    assert classify(error)[0] == cause


def test_credentials_stay_out_of_repr() -> None:
    auth = GitAuth(username="fasit", password="s3cret", bearer_token="t0ken")

    assert "s3cret" not in repr(auth)
    assert "t0ken" not in repr(auth)

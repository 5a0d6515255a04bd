"""The digest check every registry-supplied digest passes before it names a URL or a file."""

from __future__ import annotations

import pytest

from fasit.charts.digest import DigestError, checked_digest

GOOD = "sha256:" + "0123456789abcdef" * 4


def test_a_sha256_digest_is_returned_as_is() -> None:
    assert checked_digest(GOOD) == GOOD


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("sha256:/etc/passwd", id="absolute-path"),
        pytest.param("sha256:../../x", id="relative-path"),
        pytest.param(GOOD.upper().replace("SHA256", "sha256"), id="upper-case-hex"),
        pytest.param(GOOD[:-1], id="too-short"),
        pytest.param(GOOD + "0", id="too-long"),
        pytest.param("md5:" + "a" * 32, id="other-algorithm"),
        pytest.param(GOOD + "\n", id="trailing-newline"),
        pytest.param("", id="empty"),
        pytest.param(None, id="not-a-string"),
    ],
)
def test_anything_else_is_refused_and_named(text: object) -> None:
    with pytest.raises(DigestError, match="is not a sha256 digest") as raised:
        checked_digest(text)

    assert repr(text) in str(raised.value)


def test_a_long_hostile_value_is_shown_truncated() -> None:
    text = "sha256:/" + "x" * 10_000

    with pytest.raises(DigestError) as raised:
        checked_digest(text)

    assert str(raised.value).startswith(repr(text[:80]) + "…")
    assert len(str(raised.value)) < 200

"""The on-disk blob cache: keyed by sha256 digest, and never a way to reach files outside it."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import pytest

from fasit.charts.blob_cache import BlobCache

BAD_KEYS = [
    pytest.param("sha256:" + "A" * 64, id="upper-case-hex"),
    pytest.param("sha256:" + "a" * 63, id="wrong-length"),
    pytest.param("md5:" + "a" * 32, id="other-algorithm"),
    pytest.param("sha256:../../victim", id="relative-path"),
]


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def hostile_keys(victim: Path) -> list[str]:
    """Keys that name `victim` (outside the cache) by absolute and by relative path."""
    return [f"sha256:{victim}", "sha256:../../victim"]


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "a" / "cache"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    # cache_dir/sha256/../../victim is tmp_path/a/victim; the absolute key names tmp_path/a/victim.
    path = tmp_path / "a" / "victim"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"precious")
    return path


def test_a_blob_put_is_read_back(cache_dir: Path) -> None:
    cache = BlobCache(cache_dir)

    cache.put(digest_of(b"blob"), b"blob")

    assert cache.get(digest_of(b"blob")) == b"blob"


def test_a_blob_that_no_longer_matches_its_digest_is_dropped(cache_dir: Path) -> None:
    cache = BlobCache(cache_dir)
    cache.put(digest_of(b"blob"), b"blob")
    (cache_dir / "sha256" / digest_of(b"blob").removeprefix("sha256:")).write_bytes(b"torn")

    assert cache.get(digest_of(b"blob")) is None


def test_reading_a_hostile_digest_leaves_files_outside_the_cache_alone(
    cache_dir: Path, victim: Path
) -> None:
    cache = BlobCache(cache_dir)

    for key in hostile_keys(victim):
        with contextlib.suppress(ValueError):
            cache.get(key)

    assert victim.read_bytes() == b"precious"


def test_writing_a_hostile_digest_leaves_files_outside_the_cache_alone(
    cache_dir: Path, victim: Path
) -> None:
    cache = BlobCache(cache_dir)

    for key in hostile_keys(victim):
        with contextlib.suppress(ValueError):
            cache.put(key, b"overwritten")

    assert victim.read_bytes() == b"precious"


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_that_is_not_a_sha256_digest_is_refused(cache_dir: Path, key: str) -> None:
    cache = BlobCache(cache_dir)

    with pytest.raises(ValueError, match="is not a sha256 digest"):
        cache.get(key)
    with pytest.raises(ValueError, match="is not a sha256 digest"):
        cache.put(key, b"data")


def test_an_absolute_path_as_a_key_is_refused(cache_dir: Path, victim: Path) -> None:
    with pytest.raises(ValueError, match="is not a sha256 digest"):
        BlobCache(cache_dir).get(f"sha256:{victim}")


def test_a_symlink_in_the_cache_leading_outside_is_not_followed(
    cache_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / digest_of(b"blob").removeprefix("sha256:")).write_bytes(b"blob")
    cache_dir.mkdir(parents=True)
    (cache_dir / "sha256").symlink_to(outside)
    cache = BlobCache(cache_dir)

    cache.put(digest_of(b"other"), b"other")

    assert cache.get(digest_of(b"blob")) is None
    assert [path.name for path in outside.iterdir()] == [digest_of(b"blob")[7:]]

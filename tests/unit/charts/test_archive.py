"""Reading Chart.yaml and Feature.yaml out of a packaged chart, in memory and within limits."""

from __future__ import annotations

import io
import tarfile

import pytest

from fasit.charts.archive import ArchiveError, ArchiveLimits, read_archive


def packaged(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_only_the_named_members_are_read() -> None:
    data = packaged(
        {"x/Chart.yaml": b"name: x", "x/templates/a.yaml": b"a", "x/Feature.yaml": b"f"}
    )

    assert read_archive(data, {"x/Chart.yaml", "x/Feature.yaml"}) == {
        "x/Chart.yaml": b"name: x",
        "x/Feature.yaml": b"f",
    }


def test_an_archive_that_unpacks_too_large_is_refused_before_inflating() -> None:
    data = packaged({"x/big": b"\0" * 100_000, "x/Feature.yaml": b"f"})

    with pytest.raises(ArchiveError, match="unpacks to more than 1,000 bytes"):
        read_archive(data, {"x/Feature.yaml"}, ArchiveLimits(max_unpacked_bytes=1000))


def test_too_many_members_are_refused() -> None:
    data = packaged({f"x/{n}": b"" for n in range(20)})

    with pytest.raises(ArchiveError, match="more than 10 files"):
        read_archive(data, set(), ArchiveLimits(max_members=10))


def test_bytes_that_are_not_a_tar_gz_say_so() -> None:
    with pytest.raises(ArchiveError, match="not a gzip-compressed tar archive"):
        read_archive(b"PK\x03\x04 a zip file", {"x/Chart.yaml"})

"""Reading Chart.yaml and Feature.yaml out of a packaged chart, in memory and within limits."""

from __future__ import annotations

import io
import struct
import tarfile
from pathlib import Path

import helm_python
import pytest

from fasit.charts.archive import ArchiveError, ArchiveLimits, read_archive

_FEXTRA, _FNAME, _FCOMMENT = 0x04, 0x08, 0x10  # gzip header flags (RFC 1952 2.3.1)


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


def test_an_archive_packaged_by_helm_is_read(tmp_path: Path) -> None:
    chart = tmp_path / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 1.2.3\n")
    (chart / "values.yaml").write_text("replicas: 1\n")
    (chart / "Feature.yaml").write_text("owner: team\n")
    (chart / "templates" / "cm.yaml").write_text("kind: ConfigMap\n")
    built = Path(helm_python.package(chart, destination=tmp_path / "out"))

    members = read_archive(built.read_bytes(), {"demo/Chart.yaml", "demo/Feature.yaml"})

    assert members == {
        "demo/Chart.yaml": b"apiVersion: v2\nname: demo\nversion: 1.2.3\n",
        "demo/Feature.yaml": b"owner: team\n",
    }


def test_a_gzip_header_with_extra_field_comment_and_name_is_read() -> None:
    raw = packaged({"x/Feature.yaml": b"f"})
    deflated = raw[10:]  # tarfile writes FNAME-less headers: 10 fixed bytes, then deflate data
    extra = b"sfasit"
    header = (
        b"\x1f\x8b\x08"
        + bytes([_FEXTRA | _FNAME | _FCOMMENT])
        + b"\0\0\0\0\0\xff"
        + struct.pack("<H", len(extra))
        + extra
        + b"x.tgz\0"
        + b"packaged by hand\0"
    )

    assert read_archive(header + deflated, {"x/Feature.yaml"}) == {"x/Feature.yaml": b"f"}


def test_an_archive_inflating_past_its_limits_outside_member_sizes_is_refused() -> None:
    # A pax record's size is no member's size: only the cap on inflating bounds it.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("x/Feature.yaml")
        info.pax_headers = {"comment": "x" * 1_000_000}
        archive.addfile(info, io.BytesIO(b""))

    with pytest.raises(ArchiveError, match="unpacks to more than 1,000 bytes"):
        read_archive(buffer.getvalue(), {"x/Feature.yaml"}, ArchiveLimits(1, 1000))


def test_a_truncated_archive_says_so() -> None:
    data = packaged({"x/Feature.yaml": b"f" * 10_000})

    with pytest.raises(ArchiveError, match="not a gzip-compressed tar archive"):
        read_archive(data[: len(data) // 2], {"x/Feature.yaml"})

"""Packaging an in-repo chart the way `helm package` lays it out, byte for byte reproducibly.

Agents get in-repo charts as archives fasit packages (docs/charts.md): the same files always give
the same bytes (sorted members, zero times and owners, no gzip name or time), so the archive's
sha256 is a digest the instruction can pin and the agent can check before helm sees the file.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Mapping

__all__ = ["PackagedChart", "package_chart"]


class PackagedChart:
    """A chart archive and its digest (`sha256:<hex>` of the archive's bytes)."""

    __slots__ = ("archive", "digest")

    def __init__(self, archive: bytes) -> None:
        self.archive = archive
        self.digest = "sha256:" + hashlib.sha256(archive).hexdigest()


def package_chart(name: str, files: Mapping[str, bytes]) -> PackagedChart:
    """`files` (paths relative to the chart directory) under `name/`, as a .tgz."""
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(files):
            data = files[path]
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", filename="", mtime=0) as gz:
        gz.write(tar_bytes.getvalue())
    return PackagedChart(compressed.getvalue())

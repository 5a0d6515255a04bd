"""DirectoryTree: lists without following links, prunes dot directories, reads within limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from fasit.errors import TreeUnavailable
from fasit.state import DirectoryTree, EntryKind, FileTooLarge
from tests.helpers import write_tree


def test_entries_are_sorted_paths_with_dot_directories_pruned(tmp_path: Path) -> None:
    write_tree(tmp_path, {"b/x.yaml": "x", "a.yaml": "aa", ".git/HEAD": "ref", ".fasit.yaml": "i"})

    entries = [(e.path, e.kind, e.size) for e in DirectoryTree(tmp_path).entries()]

    assert entries == [
        (".fasit.yaml", EntryKind.FILE, 1),
        ("a.yaml", EntryKind.FILE, 2),
        ("b/x.yaml", EntryKind.FILE, 1),
    ]


def test_symlinks_are_entries_of_their_own_never_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"real/x.yaml": "x"})
    (tmp_path / "link").symlink_to("real", target_is_directory=True)

    entries = [(e.path, e.kind, e.detail) for e in DirectoryTree(tmp_path).entries()]

    assert entries == [("link", EntryKind.SYMLINK, "real"), ("real/x.yaml", EntryKind.FILE, "")]


def test_read_refuses_a_file_swapped_for_a_link(tmp_path: Path) -> None:
    write_tree(tmp_path, {"target.yaml": "x"})
    (tmp_path / "swapped.yaml").symlink_to(tmp_path / "target.yaml")

    with pytest.raises(OSError, match="symbolic link"):
        DirectoryTree(tmp_path).read("swapped.yaml", 100)


def test_read_stops_past_the_limit(tmp_path: Path) -> None:
    write_tree(tmp_path, {"big.yaml": "x" * 11})

    with pytest.raises(FileTooLarge) as raised:
        DirectoryTree(tmp_path).read("big.yaml", 10)

    assert raised.value.size == 11


def test_missing_root_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(TreeUnavailable, match="no such directory"):
        DirectoryTree(tmp_path / "missing")

"""A revision of a local git repository, read from its object store: no checkout, no network.

`fasit plan --base main` compares the files at PATH with what they were at `main`. REV is a
branch, tag, remote-tracking branch, full ref or commit SHA (abbreviated too), optionally
followed by `~N` or `^` steps along first parents.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dulwich.errors import NotGitRepository
from dulwich.objects import Commit
from dulwich.objectspec import parse_commit
from dulwich.repo import Repo

from fasit.errors import CouldNotRun
from fasit.sources.git_remote import commit_revision
from fasit.sources.git_tree import GitTree
from fasit.state import Revision

__all__ = ["local_revision"]

_STEPS = re.compile(r"(?:~\d*|\^1?)+\Z")


@contextmanager
def local_revision(path: Path, rev: str) -> Iterator[tuple[GitTree, Revision]]:
    """The state at `path` as it was at `rev` of the repository that holds `path`."""
    try:
        repo = Repo.discover(str(path))
    except NotGitRepository:
        raise CouldNotRun(
            f"{rev!r} is not a directory, and {path} is not inside a git repository"
        ) from None
    try:
        commit = _resolve(repo, rev)
        root = Path(repo.path).resolve()
        directory = path.resolve().relative_to(root).as_posix()
        directory = "" if directory == "." else directory
        sha = commit.id.decode("ascii")
        tree = GitTree(repo.object_store, sha, directory, f"{rev} ({sha[:12]})", threading.RLock())
        if tree.missing:
            raise CouldNotRun(f"{rev}: {tree.missing}")
        yield tree, commit_revision(commit, rev)
    finally:
        repo.close()


def _resolve(repo: Repo, rev: str) -> Commit:
    match = _STEPS.search(rev)
    base, steps = (rev[: match.start()], match.group()) if match else (rev, "")
    try:
        commit = parse_commit(repo, base)
    except (KeyError, ValueError):
        raise CouldNotRun(f"{rev!r} is not a revision of the repository at {repo.path}") from None
    for count in _step_counts(steps):
        for _ in range(count):
            if not commit.parents:
                raise CouldNotRun(f"{rev!r} goes past the first commit")
            parent = repo[commit.parents[0]]
            assert isinstance(parent, Commit)
            commit = parent
    return commit


def _step_counts(steps: str) -> list[int]:
    """`~2^` → [2, 1]: how many first parents each step walks."""
    return [
        int(step[1:] or 1) if step.startswith("~") else 1
        for step in re.findall(r"~\d*|\^1?", steps)
    ]

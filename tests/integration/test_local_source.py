"""The local source on a real directory: edits, adds, deletes and renames are followed.

The watcher runs for real (inotify through watchfiles); each test waits for the store with a
deadline rather than for a fixed time.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fasit.sources import LocalSource
from fasit.state import Outcome, SnapshotBuilder, SnapshotStore
from tests.helpers import environment, write_tree
from tests.integration.waiting import eventually

DEBOUNCE = 0.3


def served_environments(store: SnapshotStore) -> list[str]:
    return sorted(store.current.index.environments) if store.current else []


@asynccontextmanager
async def watching(root: Path) -> AsyncIterator[tuple[LocalSource, SnapshotStore]]:
    builder, store = SnapshotBuilder(), SnapshotStore()
    source = LocalSource(root, builder, store, debounce=DEBOUNCE, rescan_interval=3600)
    task = asyncio.create_task(source.run())
    try:
        await eventually(lambda: store.ready, "the first snapshot")
        yield source, store
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def expect(store: SnapshotStore, names: list[str]) -> None:
    await eventually(lambda: served_environments(store) == names, f"environments {names}")


async def test_the_directory_is_served_at_start(tmp_path: Path) -> None:
    write_tree(tmp_path, {"envs/prod.yaml": environment("prod")})

    async with watching(tmp_path) as (_, store):
        assert served_environments(store) == ["nav/prod"]
        assert store.current is not None
        assert store.current.revision.author == ""


async def test_an_edited_file_is_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"envs/prod.yaml": environment("prod")})

    async with watching(tmp_path) as (_, store):
        (tmp_path / "envs/prod.yaml").write_text(environment("production"))
        await expect(store, ["nav/production"])


async def test_added_and_deleted_files_are_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"envs/prod.yaml": environment("prod")})

    async with watching(tmp_path) as (_, store):
        write_tree(tmp_path, {"envs/dev.yaml": environment("dev")})
        await expect(store, ["nav/dev", "nav/prod"])
        (tmp_path / "envs/prod.yaml").unlink()
        await expect(store, ["nav/dev"])


async def test_an_editor_atomic_save_is_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"envs/prod.yaml": environment("prod")})

    async with watching(tmp_path) as (_, store):
        swap = tmp_path / "envs/.prod.yaml.swp"
        swap.write_text(environment("saved"))
        os.replace(swap, tmp_path / "envs/prod.yaml")
        await expect(store, ["nav/saved"])


async def test_a_renamed_directory_is_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"envs/nav/prod.yaml": environment("prod")})

    async with watching(tmp_path) as (_, store):
        (tmp_path / "envs/nav").rename(tmp_path / "envs/nav-moved")
        await eventually(
            lambda: (
                store.current is not None
                and store.current.load.state.environments[0].file == "envs/nav-moved/prod.yaml"
            ),
            "the environment read from its new directory",
        )


async def test_a_burst_of_changes_is_one_rebuild(tmp_path: Path) -> None:
    write_tree(tmp_path, {"envs/prod.yaml": environment("prod")})

    async with watching(tmp_path) as (_, store):
        builds = len(store.history)
        write_tree(tmp_path, {f"envs/e{n:02}.yaml": environment(f"e{n:02}") for n in range(50)})
        await eventually(lambda: len(served_environments(store)) == 51, "all 51 environments")
        await asyncio.sleep(DEBOUNCE * 2)  # a second rebuild would have happened by now

        assert len(store.history) == builds + 1


async def test_a_broken_save_keeps_the_last_good_snapshot(tmp_path: Path) -> None:
    write_tree(tmp_path, {"envs/prod.yaml": environment("prod")})

    async with watching(tmp_path) as (_, store):
        (tmp_path / "envs/prod.yaml").write_text("kind: [\n")
        await eventually(lambda: store.failed is not None, "the broken save to be recorded")

        assert served_environments(store) == ["nav/prod"]
        assert store.history[0].outcome is Outcome.FAILED


async def test_changes_below_dot_directories_are_ignored(tmp_path: Path) -> None:
    write_tree(tmp_path, {"envs/prod.yaml": environment("prod")})

    async with watching(tmp_path) as (source, store):
        captures = source.captures
        write_tree(tmp_path, {".git/objects/ab": "x", ".cache/state.yaml": environment("no")})
        (tmp_path / "envs/prod.yaml").write_text(environment("production"))
        await expect(store, ["nav/production"])

        assert source.captures == captures + 1


async def test_a_rescan_without_changes_builds_nothing(tmp_path: Path) -> None:
    write_tree(tmp_path, {"envs/prod.yaml": environment("prod")})

    async with watching(tmp_path) as (source, store):
        await source.rescan()
        await source.rescan()

        assert len(store.history) == 1

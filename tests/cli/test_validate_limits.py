"""Hostile and broken trees: each ends with a clear problem and exit 1, never a hang or crash.

Each runs the real command in a subprocess, so a segfault or a hang shows as what it is; the
timeout is a guard against hangs, not a performance assertion (bench/ measures speed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ENVIRONMENT, run_cli, write_tree

pytestmark = pytest.mark.timeout(30)

BOMB = "\n".join(
    [
        "apiVersion: fasit/v1",
        "kind: Config",
        "feature: aivenator",
        "environment: nav/prod",
        "values:",
        '  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(
            f"  {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]"
            for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def validate(root: Path) -> tuple[int, list[tuple[str, int | None, str, str]]]:
    """Exit code and (file, line, code, message) of each problem, from a real process."""
    completed = subprocess.run(
        [sys.executable, "-m", "fasit", "validate", str(root), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    problems = json.loads(completed.stdout)["problems"]
    return completed.returncode, [(p["file"], p["line"], p["code"], p["message"]) for p in problems]


def test_billion_laughs_is_refused_before_it_expands(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"configs/bomb.yaml": BOMB})

    code, problems = validate(root)

    assert code == 1
    assert problems == [
        (
            "configs/bomb.yaml",
            9,
            "yaml-alias-limit",
            "aliases expand to more than 10000 nodes (a YAML bomb?)",
        )
    ]


def test_more_than_a_hundred_aliases_are_refused(tmp_path: Path) -> None:
    aliases = ", ".join(["*x"] * 101)
    root = write_tree(tmp_path, {"configs/many.yaml": f"x: &x 1\ny: [{aliases}]\n"})

    code, problems = validate(root)

    assert code == 1
    assert [(p[2], p[3]) for p in problems] == [
        ("yaml-alias-limit", "more than 100 aliases in one document")
    ]


def test_deep_nesting_that_would_overflow_libyaml_is_refused(tmp_path: Path) -> None:
    # A million `[` fits under the size limit and crashes a plain yaml.safe_load.
    root = write_tree(tmp_path, {"configs/deep.yaml": "[" * 1_000_000})

    code, problems = validate(root)

    assert code == 1
    assert problems == [("configs/deep.yaml", 1, "yaml-too-deep", "nesting deeper than 64 levels")]


def test_nesting_past_libyamls_own_limit_under_the_scan_bound_is_too_deep(tmp_path: Path) -> None:
    # 1,500 `[` stay under the bound that triggers the event scan; libyaml 0.2.6 refuses them
    # itself while scanning, which is the same refusal.
    root = write_tree(tmp_path, {"configs/deep.yaml": "[" * 1_500})

    code, problems = validate(root)

    assert code == 1
    assert problems == [("configs/deep.yaml", 1, "yaml-too-deep", "nesting deeper than 64 levels")]


def test_fifty_mebibyte_file_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "environments" / "big.yaml"
    big.parent.mkdir()
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)

    code, problems = validate(tmp_path)

    assert code == 1
    assert problems == [
        (
            "environments/big.yaml",
            None,
            "file-too-large",
            "file is 52,428,800 bytes, over the limit of 1,048,576 bytes",
        )
    ]


def test_binary_file_is_refused(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"environments/prod.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"})

    code, problems = validate(root)

    assert code == 1
    assert problems == [
        (
            "environments/prod.yaml",
            None,
            "binary-file",
            "binary file (holds a NUL byte), not YAML text",
        )
    ]


def test_latin1_text_is_refused_with_the_offending_byte(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"environments/prod.yaml": "description: Bodø\n".encode("latin-1")})

    code, problems = validate(root)

    assert code == 1
    assert problems == [
        (
            "environments/prod.yaml",
            None,
            "binary-file",
            "not UTF-8 text (invalid byte at offset 16)",
        )
    ]


def test_directory_symlink_loop_is_reported_not_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"environments/prod.yaml": ENVIRONMENT})
    (tmp_path / "environments" / "loop").symlink_to("..", target_is_directory=True)

    code, problems = validate(tmp_path)

    assert code == 1
    assert problems == [
        (
            "environments/loop",
            None,
            "symlink",
            "symbolic link (to ..): state is plain files and links are never followed",
        )
    ]


def test_symlink_out_of_the_repository_is_reported_not_read(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"secret.yaml": ENVIRONMENT}) / "secret.yaml"
    root = write_tree(tmp_path / "repo", {"environments/prod.yaml": ENVIRONMENT})
    (root / "environments" / "stolen.yaml").symlink_to(outside)

    code, problems = validate(root)

    assert code == 1
    assert problems == [
        (
            "environments/stolen.yaml",
            None,
            "symlink",
            f"symbolic link (to {outside}): state is plain files and links are never followed",
        )
    ]


def test_duplicate_mapping_key_is_an_error_not_last_wins(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path, {"environments/prod.yaml": ENVIRONMENT + "reconcile: true\nreconcile: false\n"}
    )

    code, problems = validate(root)

    assert code == 1
    assert problems == [
        (
            "environments/prod.yaml",
            8,
            "yaml-duplicate-key",
            "duplicate key 'reconcile' (first at line 7, column 1)",
        )
    ]


def test_fifo_is_reported_without_blocking_on_it(tmp_path: Path) -> None:
    (tmp_path / "environments").mkdir()
    os.mkfifo(tmp_path / "environments" / "pipe.yaml")

    code, problems = validate(tmp_path)

    assert code == 1
    assert problems == [
        (
            "environments/pipe.yaml",
            None,
            "unreadable-file",
            "not a regular file (a device, socket or pipe)",
        )
    ]


def test_more_files_than_the_limit_is_refused(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {f"environments/e{n}.yaml": ENVIRONMENT for n in range(4)})

    run = run_cli("validate", root, "--max-files", "3", "--format", "json")

    assert run.exit_code == 1
    assert run.problems() == [("", None, None, "too-many-files")]
    assert run.json["problems"][0]["message"] == "the state tree holds more than 3 files"


def test_dot_directories_are_not_read(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "environments/prod.yaml": ENVIRONMENT,
            ".git/config.yaml": "not: [valid",
            ".github/x.yml": "[",
        },
    )

    run = run_cli("validate", root, "--format", "json")

    assert run.exit_code == 0
    assert run.json["summary"]["files"] == 1

"""What a command pays for at start: the modules it imports, in a fresh interpreter.

`fasit validate` in CI is a whole process, imports included. Building the parser imports no
stage, and validating a directory of in-repo charts imports the build it runs, not the server,
a registry client or a git client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "example-state-repo"

# The server (web, agents, gRPC, the status store, sign-in), the registry client and git.
NOT_FOR_VALIDATE = (
    "grpc",
    "starlette",
    "uvicorn",
    "psycopg",
    "joserfc",
    "requests",
    "oras",
    "dulwich",
    "fasit.web",
    "fasit.agents",
    "fasit.serve",
    "fasit.reconcile",
)
# What the parser is built from: the CLI's own modules and the leaves of the package root.
PARSER_MODULES = {"fasit", "fasit.cli", "fasit.errors", "fasit.memory", "fasit.options"}


def _python(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _among(loaded: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(
        module
        for module in loaded
        if any(module == package or module.startswith(package + ".") for package in packages)
    )


def _modules_after_parsing(*argv: str) -> set[str]:
    program = (
        "import json, sys\n"
        "from fasit.cli import _parser\n"
        f"_parser().parse_args({list(argv)!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    run = _python("-c", program)
    assert run.returncode == 0, run.stderr
    return set(json.loads(run.stdout))


def test_building_the_parser_and_reading_validate_arguments_imports_no_stage() -> None:
    loaded = _modules_after_parsing("validate", str(EXAMPLE), "--format", "json")

    fasit = {module for module in loaded if module.split(".")[0] == "fasit"}
    assert {module for module in fasit if not module.startswith("fasit.cli.")} <= PARSER_MODULES
    assert _among(loaded, NOT_FOR_VALIDATE) == []


def test_validate_of_a_directory_imports_neither_the_server_nor_a_registry_or_git_client() -> None:
    # -X importtime lists every module the process imports, on stderr: nothing is wrapped.
    run = _python("-X", "importtime", "-m", "fasit", "validate", EXAMPLE, "--format", "json")
    imported = {
        line.rpartition("|")[2].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:")
    }

    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout)["problems"] == []
    assert "fasit.plan.validation" in imported  # the build ran in this process
    assert _among(imported, NOT_FOR_VALIDATE) == []

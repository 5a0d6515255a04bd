"""Builders the tests share: small trees on disk and the CLI run in-process."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fasit.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN = FIXTURES / "broken"
# The value of the render-error fixture whose template the template tests replace.
TEMPLATED_FEATURE_YAML = "charts/aivenator/1.0.0/Feature.yaml"


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `files` (relative path -> text or bytes) below `root` and return `root`."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@dataclass(frozen=True)
class Run:
    """The outcome of one CLI run: exit code, stdout, stderr."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    def problems(self) -> list[tuple[str, int | None, int | None, str]]:
        """(file, line, column, code) of every problem of a JSON run."""
        return [(p["file"], p["line"], p["column"], p["code"]) for p in self.json["problems"]]


def repo_with_template(root: Path, template: str) -> Path:
    """A copy of the render-error fixture whose templated value is `template` (line 7, col 26)."""
    repo = shutil.copytree(BROKEN / "render-error", root / "repo")
    feature_yaml = repo / TEMPLATED_FEATURE_YAML
    feature_yaml.write_text(feature_yaml.read_text().replace("{{ env.project }}", template))
    return repo


def run_cli(*args: str | Path) -> Run:
    """Run `fasit ARGS` in this process, capturing its output and exit code."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main([str(arg) for arg in args])
        except SystemExit as exc:  # argparse exits on bad flags
            code = exc.code if isinstance(exc.code, int) else 2
    return Run(code, stdout.getvalue(), stderr.getvalue())


def serve_refusal(tmp_path: Path, *arguments: str | Path) -> str:
    """What `fasit serve ARGUMENTS` (over an empty state directory, fake agents) exits 2 with,
    before anything listens."""
    run = run_cli(
        "serve",
        *("--status-db", tmp_path / "status.db", "--state-dir", tmp_path, "--fake-agents"),
        *arguments,
    )
    assert run.exit_code == 2, run.stderr
    return run.stderr.strip()


def environment(name: str = "prod", tenant: str = "nav") -> str:
    """An Environment document labelled with its tenant and name."""
    return f"""\
apiVersion: fasit/v1
kind: Environment
tenant: {tenant}
name: {name}
environmentKind: tenant
labels: {{tenant: {tenant}, env: {name}}}
"""


ENVIRONMENT = environment()
FEATURE = """\
apiVersion: fasit/v1
kind: Feature
name: aivenator
chart: oci://registry.example.net/features/aivenator
"""


def assignment(version: str = "1.0.0", target: str = "{}") -> str:
    """An Assignment document of aivenator at `version` to `target`."""
    return f"""\
apiVersion: fasit/v1
kind: Assignment
feature: aivenator
version: "{version}"
target: {target}
"""


def located(model_yaml: str, file: str = "state.yaml") -> Any:
    """A Located state document parsed from YAML text, as the loader would make it."""
    from fasit.state import read_state_document, read_yaml

    [document] = read_yaml(model_yaml, file).documents
    content_id = "sha256:" + hashlib.sha256(model_yaml.encode()).hexdigest()
    result, problems = read_state_document(document, file, content_id)
    assert not problems, problems
    return result


def make_environment(tenant: str, name: str, kind: str = "tenant", **labels: str) -> Any:
    """A Located Environment with `labels` (tenant and env labels are added)."""
    all_labels = {"tenant": tenant, "env": name, **labels}
    return located(
        "apiVersion: fasit/v1\nkind: Environment\n"
        f"tenant: {tenant}\nname: {name}\nenvironmentKind: {kind}\n"
        f"labels: {json.dumps(all_labels)}\n",
        f"environments/{tenant}/{name}.yaml",
    )


def make_assignment(
    feature: str,
    version: str,
    target: dict[str, str],
    *,
    priority: int = 0,
    enabled: bool = True,
    file: str | None = None,
) -> Any:
    """A Located Assignment."""
    return located(
        "apiVersion: fasit/v1\nkind: Assignment\n"
        f"feature: {feature}\nversion: {json.dumps(version)}\ntarget: {json.dumps(target)}\n"
        f"priority: {priority}\nenabled: {json.dumps(enabled)}\n",
        file or f"assignments/{feature}/{version}-{len(target)}-{priority}.yaml",
    )

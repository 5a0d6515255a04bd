"""No secret's text appears in any output of plan, explain or validate, in any format.

The state references secrets from environment values and Configs, computes values from them
(taint), changes them between base and head, and breaks a template so an error message
would quote one. Every command runs with the real secrets (`--secrets-dir`) where it takes
them, and each output (stdout and stderr) is searched for every secret's text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fasit.plan.sandbox import Sandbox
from fasit.plan.templates import FUNCTIONS, RenderLimits, TemplateEngine, TemplateError
from tests.helpers import run_cli, write_tree
from tests.states import (
    assignment,
    chart,
    computed,
    config,
    configurable,
    environment,
    feature,
    state,
)

SECRETS = {
    "nav-prod-token": "tok-3f9a1c77e2",
    "nav-prod-token-v2": "tok-rotated-55b0d1",
    "nav-prod-agent": "agent-0c4e8f1a93",
    "nav-dev-agent": "agent-dev-7d21b6",
}
VALUES = {
    "token": configurable(secret=True),
    "dsn": computed("postgres://app:{{ configs.token }}@db/app"),
    "agentKey": computed("{{ env.agentKey }}"),
    "agentKeyLength": computed("{{ env.agentKey | length }}"),
    "name": computed("{{ env.name }}"),
}


def files(token: str, broken: bool = False) -> dict[str, str]:
    values = dict(VALUES)
    if broken:  # its output is not YAML, and the error message would quote it
        values["broken"] = computed("{{ env.agentKey }}: [")
    return state(
        chart("x", "1.0.0", values),
        feature("x"),
        environment("nav", "prod", values={"agentKey": {"secretRef": "nav-prod-agent"}}),
        environment("nav", "dev", values={"agentKey": {"secretRef": "nav-dev-agent"}}),
        config("x", "nav/prod", {"token": {"secretRef": token}}),
        config("x", "nav/dev", {"token": {"secretRef": "nav-prod-token"}}),
        assignment("x", "1.0.0", {}),
    )


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, Path]:
    return {
        "secrets": write_tree(tmp_path / "secrets", SECRETS),
        "base": write_tree(tmp_path / "base", files("nav-prod-token")),
        "head": write_tree(tmp_path / "head", files("nav-prod-token-v2")),
        "broken": write_tree(tmp_path / "broken", files("nav-prod-token", broken=True)),
    }


COMMANDS = [
    *(["plan", "{head}", "--format", f] for f in ("text", "json", "markdown")),
    *(["plan", "{head}", "--base", "{base}", "--format", f] for f in ("text", "json", "markdown")),
    *(["plan", "{broken}", "--format", f] for f in ("text", "json", "markdown")),
    *(["explain", "nav/prod", "x", "{head}", "--format", f] for f in ("text", "json")),
    *(["explain", "nav/prod", "x", "{broken}", "--format", f] for f in ("text", "json")),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_no_secret_in_plan_or_explain_output(paths: dict[str, Path], command: list[str]) -> None:
    args = [part.format(**{name: str(path) for name, path in paths.items()}) for part in command]
    run = run_cli(*args, "--secrets-dir", paths["secrets"])

    assert run.exit_code == 0, run.stderr
    assert run.stdout
    for secret in SECRETS.values():
        assert secret not in run.stdout + run.stderr


@pytest.mark.parametrize("output", ["text", "json", "github"])
def test_no_secret_in_validate_output(paths: dict[str, Path], output: str) -> None:
    run = run_cli("validate", paths["broken"], "--format", output)

    assert run.exit_code == 1  # the broken template is reported
    for secret in SECRETS.values():
        assert secret not in run.stdout + run.stderr


def test_the_change_of_a_secret_shows_masked(paths: dict[str, Path]) -> None:
    run = run_cli("plan", paths["head"], "--base", paths["base"], "--secrets-dir", paths["secrets"])

    assert '~ token: "***" → "***"' in run.stdout
    assert '~ dsn: "***" → "***"' in run.stdout


def _string_transforms(secret: str) -> dict[str, str]:
    """Every sandbox filter that turns a string into another string, with what it makes of it."""
    engine = TemplateEngine()
    made = {}
    for name in sorted(Sandbox(RenderLimits(), FUNCTIONS).filters):
        try:
            text = engine.render(
                engine.compile(f"'{{{{ s | {name} }}}}'"), engine.context({"s": secret})
            )
        except TemplateError:
            continue  # needs arguments, or does not take a string
        if isinstance(text, str) and text != secret and len(text) >= 8:
            made[name] = text
    return made


SECRET = SECRETS["nav-prod-agent"]
TRANSFORMS = _string_transforms(SECRET)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_no_transformed_secret_in_a_render_error(tmp_path: Path, name: str) -> None:
    broken = {
        **VALUES,
        "lookup": computed(f"{{{{ env[env.agentKey | {name}] }}}}"),
        "notYaml": computed(f"{{{{ env.agentKey | {name} }}}}: ["),
    }
    repo = write_tree(
        tmp_path / "repo",
        state(
            chart("x", "1.0.0", broken),
            feature("x"),
            environment("nav", "prod", values={"agentKey": {"secretRef": "nav-prod-agent"}}),
            config("x", "nav/prod", {"token": {"secretRef": "nav-prod-token"}}),
            assignment("x", "1.0.0", {}),
        ),
    )
    secrets = write_tree(tmp_path / "secrets", SECRETS)

    run = run_cli("plan", repo, "--format", "json", "--secrets-dir", secrets)

    assert "render-error" in run.stdout
    assert "lookup: UndefinedError (the message is withheld" in run.stdout
    assert TRANSFORMS[name] not in run.stdout + run.stderr

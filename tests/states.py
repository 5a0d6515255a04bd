"""State repositories for planner tests: documents as dicts, in-repo charts, planned for real."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fasit.plan import DesiredRelease, Planner, SecretsDirectory, Validation, validate_tree
from fasit.state import DirectoryTree
from tests.helpers import write_tree


def _document(kind: str, **fields: Any) -> str:
    lines = ["apiVersion: fasit/v1", f"kind: {kind}"]
    lines += [f"{key}: {json.dumps(value)}" for key, value in fields.items() if value is not None]
    return "\n".join(lines) + "\n"


def environment(
    tenant: str,
    name: str,
    kind: str = "tenant",
    labels: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    reconcile: bool | None = None,
) -> dict[str, str]:
    text = _document(
        "Environment",
        tenant=tenant,
        name=name,
        environmentKind=kind,
        labels={"tenant": tenant, "env": name, "kind": kind, **(labels or {})},
        values=values,
        reconcile=reconcile,
    )
    return {f"environments/{tenant}/{name}.yaml": text}


def feature(
    name: str,
    config: dict[str, Any] | None = None,
    prune: bool | None = None,
    chart: str | None = None,
    protected: bool | None = None,
    rollout: str | None = None,
) -> dict[str, str]:
    """A Feature whose chart is `chart` (default: the in-repo charts/<name>)."""
    chart = chart or f"charts/{name}"
    text = _document(
        "Feature",
        name=name,
        chart=chart,
        config=config,
        prune=prune,
        protected=protected,
        rollout=rollout,
    )
    return {f"features/{name}.yaml": text}


def assignment(
    name: str,
    version: str,
    target: dict[str, str],
    priority: int | None = None,
    enabled: bool | None = None,
    redeploy: str | None = None,
    file: str | None = None,
    paused: bool | None = None,
    reason: str | None = None,
) -> dict[str, str]:
    text = _document(
        "Assignment",
        feature=name,
        version=version,
        target=target,
        priority=priority,
        enabled=enabled,
        redeploy=redeploy,
        paused=paused,
        reason=reason,
    )
    labels = "-".join(f"{key}-{value}" for key, value in sorted(target.items())) or "all"
    return {file or f"assignments/{name}/{version}-{labels}-{priority or 0}.yaml": text}


def config(name: str, environment_id: str, values: dict[str, Any]) -> dict[str, str]:
    text = _document("Config", feature=name, environment=environment_id, values=values)
    return {f"configs/{name}/{environment_id.replace('/', '-')}.yaml": text}


def rollout(
    name: str,
    *waves: tuple[str, dict[str, str], str],
    skip_offline: bool | None = None,
    paused: bool | None = None,
    reason: str | None = None,
) -> dict[str, str]:
    """A Rollout of waves given as (name, target, soak), one field per line."""
    lines = ["apiVersion: fasit/v1", "kind: Rollout", f"name: {name}", "waves:"]
    for wave, target, soak in waves:
        lines += [f"  - name: {wave}", f"    target: {json.dumps(target)}", f"    soak: {soak}"]
    for key, value in (("skipOffline", skip_offline), ("paused", paused), ("reason", reason)):
        if value is not None:
            lines.append(f"{key}: {json.dumps(value)}")
    return {f"rollouts/{name}.yaml": "\n".join(lines) + "\n"}


def chart(
    name: str,
    version: str,
    values: dict[str, Any] | None = None,
    kinds: list[str] | None = None,
    dependencies: list[dict[str, list[str]]] | None = None,
) -> dict[str, str]:
    """A chart directory whose Feature.yaml declares `values` (key → declaration)."""
    feature_yaml = {
        "environmentKinds": kinds or ["tenant", "management", "onprem"],
        "dependencies": dependencies or [],
        "values": values or {},
    }
    directory = f"charts/{name}/{version}"
    return {
        f"{directory}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n",
        f"{directory}/Feature.yaml": json.dumps(feature_yaml, indent=2) + "\n",
    }


def computed(template: str, **more: Any) -> dict[str, Any]:
    return {"computed": {"template": template}, **more}


def configurable(kind: str = "string", secret: bool = False, **more: Any) -> dict[str, Any]:
    return {"config": {"type": kind, "secret": secret}, **more}


def state(*parts: dict[str, str]) -> dict[str, str]:
    files: dict[str, str] = {}
    for part in parts:
        files.update(part)
    return files


def build(
    root: Path, files: dict[str, str], secrets: Path | None = None, planner: Planner | None = None
) -> Validation:
    """Write `files` to `root` and run the whole build: snapshot, charts, plan."""
    write_tree(root, files)
    planner = planner or Planner(SecretsDirectory(secrets) if secrets else None)
    result = validate_tree(DirectoryTree(root), planner=planner)
    assert result.snapshot.servable, result.snapshot.blocking
    return result


def release(result: Validation, environment_id: str, name: str) -> DesiredRelease:
    return result.plan.releases[(environment_id, name)]


def basic_state(*extra: dict[str, str], version: str = "1.0.0") -> list[dict[str, str]]:
    """nav/dev and nav/prod with feature `web` at `version` everywhere."""
    return [
        environment("nav", "dev"),
        environment("nav", "prod"),
        feature("web"),
        chart("web", version),
        assignment("web", version, {}),
        *extra,
    ]


def web_everywhere(count: int, version: str = "1.0.0") -> list[dict[str, str]]:
    """fleet/e0 .. fleet/e<count-1> with feature `web` at `version` everywhere."""
    return [
        *(environment("fleet", f"e{i}") for i in range(count)),
        feature("web"),
        chart("web", version),
        assignment("web", version, {}),
    ]

"""`fasit explain` output: text for people, JSON for tools; values masked where secret."""

from __future__ import annotations

import json

from fasit.plan import Explanation

__all__ = ["render_explanation"]


def render_explanation(explanation: Explanation, as_json: bool) -> str:
    """The explanation as text or JSON, ending with a newline."""
    return _json(explanation) if as_json else _text(explanation)


def _json(explanation: Explanation) -> str:
    return json.dumps(explanation.document(), indent=2, ensure_ascii=False) + "\n"


def _text(explanation: Explanation) -> str:
    environment = explanation.environment.model
    feature = explanation.feature.model.name
    labels = ", ".join(f"{key}={value}" for key, value in sorted(environment.labels.items()))
    lines = [f"{feature} on {environment.id} (labels: {labels or 'none'})", "", "Assignments:"]
    if not explanation.verdicts:
        lines.append(f"  none: no assignment of {feature} exists")
    for verdict in explanation.verdicts:
        model = verdict.assignment.model
        mark = "✔ won " if verdict.won else ("  match" if verdict.matched else "✘ no   ")
        target = ", ".join(f"{key}={value}" for key, value in sorted(model.target.items())) or "{}"
        enabled = "" if model.enabled else ", disabled"
        lines.append(
            f"  {mark} {verdict.assignment.where('target')}: {model.version}"
            f" (target {target}, priority {model.priority}{enabled})"
        )
        lines.append(f"          {verdict.reason}")
    release = explanation.release
    lines.append("")
    if release is None:
        lines.append(f"Release: none; no assignment of {feature} reaches {environment.id}")
    else:
        lines.append(f"Release: {release.version}, {release.status}")
        if release.message:
            lines.append(f"  {release.message}")
        if release.release_hash:
            lines.append(f"  release hash {release.release_hash}")
    wave = explanation.wave_sentence()
    if wave:
        lines += ["", f"Rollout: {wave}"]
    if explanation.sources:
        lines += ["", "Values:"]
        for source in explanation.sources:
            where = f"{source.location.file}:{source.location.line}"
            shown = json.dumps(source.shown, ensure_ascii=False)
            note = " (secret, or computed from one)" if source.secret else ""
            lines.append(f"  {source.key} = {shown}{note}")
            lines.append(f"      from {source.origin} at {where}")
    return "\n".join(lines) + "\n"

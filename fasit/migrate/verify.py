"""A translation checked by rendering both sides: the Go template with go_eval.py, the Jinja one
with fasit's own renderer (fasit.plan's TemplateEngine), in samples.py's sample environments;
both outputs read as YAML, as each system reads them, and compared.

feature_file.py calls `verify` for every template it translated. Pure apart from the renderer's
cache. A difference is `DIFFERS` (the original is kept for a person); where the Go side cannot be
evaluated, or fails on the made-up sample, the outcome is `UNVERIFIED` with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from fasit.migrate.go_eval import execute
from fasit.migrate.go_values import GoExecError, NotEvaluable
from fasit.migrate.gotemplate import GoTemplateError, parse
from fasit.migrate.samples import Sample, samples_for
from fasit.plan import TemplateEngine, TemplateError

__all__ = ["Check", "Verdict", "verify"]

_SHOWN = 80  # characters of a value a message quotes


class Check(StrEnum):
    """What rendering both sides showed."""

    VERIFIED = "verified"
    """Both sides gave the same value (or both failed) in every sample."""
    DIFFERS = "differs"
    """In a sample, the two sides gave different values, or only fasit's failed."""
    UNVERIFIED = "unverified"
    """The Go side could not be evaluated here (a function or input not modelled), or failed
    on the made-up sample while fasit's did not: nothing to compare."""


@dataclass(frozen=True)
class Verdict:
    """The outcome and, unless verified, a sentence saying what was seen."""

    check: Check
    detail: str = ""


@dataclass(frozen=True)
class _Rendered:
    value: object = None
    error: str | None = None


def verify(go_template: str, jinja: str, engine: TemplateEngine) -> Verdict:
    """Render `go_template` (Go) and its translation `jinja` (fasit) in each sample
    environment and compare; the first difference wins, then the first reason it could not be
    checked."""
    try:
        nodes = parse(go_template)
    except GoTemplateError as exc:  # translate() refused it already; kept for safety
        return Verdict(Check.UNVERIFIED, f"not a Go template: {exc.reason}")
    unverified: Verdict | None = None
    for sample in samples_for(nodes):
        where = f"in a sample {sample.kind} environment"
        try:
            go = _read(engine, execute(nodes, sample.go_root()))
        except NotEvaluable as exc:
            return Verdict(Check.UNVERIFIED, f"the Go side cannot be evaluated here: {exc}")
        except GoExecError as exc:
            go = _Rendered(error=str(exc))
        fasit = _render(engine, jinja, sample)
        if go.error is not None:
            if fasit.error is None and unverified is None:
                unverified = Verdict(Check.UNVERIFIED, f"the Go side fails {where}: {go.error}")
            continue
        if fasit.error is not None:
            return Verdict(
                Check.DIFFERS, f"go gave {_shown(go.value)}, fasit failed {where}: {fasit.error}"
            )
        if _canonical(go.value) != _canonical(fasit.value):
            return Verdict(
                Check.DIFFERS,
                f"go gave {_shown(go.value)}, fasit gave {_shown(fasit.value)} {where}",
            )
    return unverified or Verdict(Check.VERIFIED)


def _read(engine: TemplateEngine, text: str) -> _Rendered:
    """Go's output read as YAML, as nais/fasit read it."""
    try:
        return _Rendered(engine.read_output(text))
    except TemplateError as exc:
        return _Rendered(error=exc.message)


def _render(engine: TemplateEngine, jinja: str, sample: Sample) -> _Rendered:
    try:
        compiled = engine.compile(jinja)
        return _Rendered(engine.render(compiled, engine.context(sample.fasit_context())))
    except TemplateError as exc:
        return _Rendered(error=exc.message)


def _canonical(value: object) -> str:
    """The value as text that tells `true` from `1` and `1` from `1.0`."""
    return json.dumps(value, sort_keys=True, default=repr)


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"

"""Computed values: templates compiled once, rendered in the sandbox, output read as YAML.

The rendered text is parsed as YAML, so the template decides the type: `2` is a number,
`true` a boolean, `"2"` a string. A template without Jinja syntax is a constant, parsed once.
Most outputs are plain words or numbers, which skip the YAML parser; the rest go through the
same bounded parser as state files.

One Jinja context serves every value of an (environment, feature) pair: building it is the
costly part of a render, and the variables are the same for all of them. Many pairs render the
very same thing (every feature of an environment that shares a chart's `{{ env.name }}-x`), so
a template whose reads are all plain values (`env.domain`, not `env.labels` or `envs`) is
rendered once per (template, the values it reads) and the output reused. The same holds for
a pair's templates together (`RenderGroup`): the features of an environment that share their
computed templates read the same values, so the whole set renders once per environment and
every other pair takes the outputs with one lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.runtime import Context, new_context

from fasit.errors import InvalidInput
from fasit.plan.sandbox import (
    BoundedTemplate,
    NotDeterministic,
    RenderLimitExceeded,
    RenderLimits,
    Sandbox,
)
from fasit.plan.sprig_functions import SPRIG_FUNCTIONS
from fasit.plan.template_functions import FASIT_FUNCTIONS
from fasit.state import read_yaml

__all__ = [
    "CONTEXT_NAMES",
    "FUNCTIONS",
    "CompiledTemplate",
    "Read",
    "RenderGroup",
    "TemplateEngine",
    "TemplateError",
]

FUNCTIONS = {**FASIT_FUNCTIONS, **SPRIG_FUNCTIONS}
"""Every function a template may call, as a function and as a filter."""

Read = tuple[str, str | None]

CONTEXT_NAMES = frozenset({"kind", "tenant", "env", "envs", "management", "configs", "labels"})
"""What a template sees besides functions (DESIGN.md §3)."""

_JINJA_SYNTAX = ("{{", "{%", "{#")
# Words YAML reads as something other than a string (YAML 1.1, as PyYAML resolves them).
_YAML_WORDS = frozenset(
    form
    for word in ("yes", "no", "true", "false", "on", "off", "null")
    for form in (word, word.capitalize(), word.upper())
)
_PLAIN_WORD = re.compile(r"[A-Za-z_/][A-Za-z0-9_/-]*(?:\.[A-Za-z0-9_/-]+)*\Z")
_PLAIN_INT = re.compile(r"(?:0|-?[1-9][0-9]{0,17})\Z")
_MISSING = object()
_MAPPING_METHODS = frozenset(name for name in dir(dict) if not name.startswith("_"))
_OUTPUT_CACHE_SIZE = 65_536
_RENDERED_CACHE_SIZE = 262_144
_GROUP_CACHE_SIZE = 65_536
_PLAIN_TYPES = frozenset({str, int, bool, type(None)})
_CONTEXT_FUNCTIONS = frozenset(
    name for name, function in FUNCTIONS.items() if hasattr(function, "jinja_pass_arg")
)


class TemplateError(InvalidInput):
    """A template that does not compile or render, or whose output is not YAML."""

    def __init__(self, message: str, kind: str = "render error") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        """What failed, quoting no value: shown instead of `message` when a secret may be in it."""


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """A template ready to render; a constant when it has no Jinja syntax."""

    source: str
    template: BoundedTemplate | None
    constant: object
    names: frozenset[str]
    """The context variables it reads (kind, tenant, env, envs, management, configs)."""
    reads: frozenset[Read] = frozenset()
    """What it reads of them: (variable, key) for `env.domain` or `env["domain"]`, and
    (variable, None) when it uses a variable any other way (all of it, conservatively)."""
    keyed_reads: tuple[tuple[str, str], ...] | None = None
    """`reads` in a fixed order when its output depends on nothing else (every name it uses
    is a context variable read by key, or a function): its render can be reused."""


@dataclass(frozen=True, slots=True)
class RenderGroup:
    """Computed templates whose outputs together depend only on plain values they read."""

    token: int
    """The same for the same (value key, template source) list, in any chart."""
    reads: tuple[tuple[str, str], ...]
    """Every (variable, key) any of them reads, in a fixed order."""


class TemplateEngine:
    """Compiles and renders computed-value templates; caches compiled templates by source."""

    def __init__(self, limits: RenderLimits | None = None) -> None:
        self._sandbox = Sandbox(limits or RenderLimits(), FUNCTIONS)
        self._compiled: dict[str, CompiledTemplate | TemplateError] = {}
        self._outputs: dict[str, object] = {}
        self._rendered: dict[tuple[object, ...], object] = {}
        self._group_tokens: dict[tuple[tuple[str, str], ...], int] = {}
        self._groups: dict[tuple[object, ...], dict[str, object]] = {}

    def compile(self, source: str) -> CompiledTemplate:
        """The compiled template for `source` (raises `TemplateError` for bad syntax)."""
        found = self._compiled.get(source)
        if found is None:
            found = self._compile(source)
            self._compiled[source] = found
        if isinstance(found, TemplateError):
            raise found
        return found

    def context(self, variables: Mapping[str, Any]) -> Context:
        """A render context holding `variables` and the template functions."""
        return new_context(
            self._sandbox, "value", {}, {**self._sandbox.globals, **variables}, shared=True
        )

    def render(self, compiled: CompiledTemplate, context: Context) -> object:
        """The value `compiled` renders to in `context` (raises `TemplateError`)."""
        if compiled.template is None:
            return compiled.constant
        try:
            text = self._sandbox.render(compiled.template, context)
        except RenderLimitExceeded as exc:
            raise TemplateError(f"render limit: {exc}", "render limit") from None
        except Exception as exc:
            raise TemplateError(_describe(exc), type(exc).__name__) from None
        return self.read_output(text)

    def render_over(
        self,
        compiled: CompiledTemplate,
        variables: Mapping[str, Any],
        context: Callable[[], Context],
    ) -> object:
        """`render(compiled, context())`, reused for the same template and values read.

        `variables` are the context's variables; `context` makes the context when a render
        is needed (the caller keeps one per pair). Errors are not kept: they render again.
        """
        key = _read_key(compiled, variables)
        if key is None:
            return self.render(compiled, context())
        value = self._rendered.get(key, _MISSING)
        if value is _MISSING:
            value = self.render(compiled, context())
            if len(self._rendered) >= _RENDERED_CACHE_SIZE:
                self._rendered.clear()
            self._rendered[key] = value
        return value

    def group(self, computed: tuple[tuple[str, CompiledTemplate], ...]) -> RenderGroup | None:
        """The group of `computed` (value key, template), or None when one is not reusable."""
        reads: set[tuple[str, str]] = set()
        for _, compiled in computed:
            if compiled.template is None:
                continue  # a constant reads nothing
            if compiled.keyed_reads is None:
                return None
            reads.update(compiled.keyed_reads)
        sources = tuple((key, compiled.source) for key, compiled in computed)
        token = self._group_tokens.setdefault(sources, len(self._group_tokens))
        return RenderGroup(token, tuple(sorted(reads)))

    def group_key(
        self, group: RenderGroup, given: tuple[str, ...], variables: Mapping[str, Any]
    ) -> tuple[object, ...] | None:
        """The key of a group's outputs when the keys in `given` are not rendered, or None
        when a value read is not plain."""
        return _plain_reads(group.reads, variables, (group.token, given))

    def group_outputs(self, key: tuple[object, ...]) -> dict[str, object] | None:
        """The outputs kept for `key` (`group_key`), value key → value."""
        return self._groups.get(key)

    def keep_group(self, key: tuple[object, ...], outputs: dict[str, object]) -> None:
        """Keep a group's outputs (rendered without an error) for `key`; never changed after."""
        if len(self._groups) >= _GROUP_CACHE_SIZE:
            self._groups.clear()
        self._groups[key] = outputs

    def read_output(self, text: str) -> object:
        """The value a rendered text holds, read as YAML."""
        value = self._outputs.get(text, _MISSING)
        if value is _MISSING:
            value = _read_yaml_value(text)
            if len(self._outputs) < _OUTPUT_CACHE_SIZE:
                self._outputs[text] = value
        return value

    def _compile(self, source: str) -> CompiledTemplate | TemplateError:
        if not any(marker in source for marker in _JINJA_SYNTAX):
            try:
                return CompiledTemplate(source, None, _read_yaml_value(source), frozenset())
            except TemplateError as exc:
                return exc
        try:
            tree = self._sandbox.parse(source)
            undeclared = frozenset(meta.find_undeclared_variables(tree))
            names = undeclared & CONTEXT_NAMES
            reads = _reads(tree, names)
            keyed = _keyed_reads(tree, reads, undeclared)
            template = self._sandbox.compile_bounded(tree)
        except TemplateSyntaxError as exc:
            return TemplateError(f"template syntax, line {exc.lineno}: {exc.message}")
        except NotDeterministic as exc:
            return TemplateError(str(exc))
        except Exception as exc:
            # Jinja folds constant expressions while compiling: an error a render would raise
            # (`0[0]` in a condition) can come from here too, and is the same render error.
            return TemplateError(_describe(exc), type(exc).__name__)
        return CompiledTemplate(source, template, None, names, reads, keyed)


def _keyed_reads(
    tree: nodes.Template, reads: frozenset[Read], undeclared: frozenset[str]
) -> tuple[tuple[str, str], ...] | None:
    if undeclared - CONTEXT_NAMES - FUNCTIONS.keys():
        return None  # a name outside the context variables (fasit.…): not keyed
    for node in tree.find_all((nodes.Name, nodes.Filter, nodes.Test)):
        if getattr(node, "name", None) in _CONTEXT_FUNCTIONS:
            return None  # it reads the context itself (subdomain reads env.domain)
    keyed = []
    for name, key in reads:
        if key is None:
            return None
        keyed.append((name, key))
    return tuple(sorted(keyed))


def _read_key(
    compiled: CompiledTemplate, variables: Mapping[str, Any]
) -> tuple[object, ...] | None:
    """(source, then type and value of each read) when every read is a plain value."""
    reads = compiled.keyed_reads
    if reads is None:
        return None
    return _plain_reads(reads, variables, (compiled.source,))


def _plain_reads(
    reads: tuple[tuple[str, str], ...], variables: Mapping[str, Any], key: tuple[object, ...]
) -> tuple[object, ...] | None:
    """`key`, then type and value of each read, when every read is a plain value."""
    for name, read in reads:
        holder = variables.get(name)
        if type(holder) is not dict:
            return None
        value = holder.get(read, _MISSING)
        kind = type(value)
        if kind not in _PLAIN_TYPES:  # floats too: 0.0 and -0.0 are equal, and render apart
            return None
        key += (kind, value)
    return key


def _reads(tree: nodes.Template, names: frozenset[str]) -> frozenset[Read]:
    found: set[Read] = set()

    def walk(node: nodes.Node) -> None:
        if isinstance(node, nodes.Getattr | nodes.Getitem) and _context_name(node.node, names):
            assert isinstance(node.node, nodes.Name)
            key = _constant_key(node)
            found.add((node.node.name, key))
            if isinstance(node, nodes.Getitem):
                walk(node.arg)
            return
        if _context_name(node, names):
            assert isinstance(node, nodes.Name)
            found.add((node.name, None))
            return
        for child in node.iter_child_nodes():
            walk(child)

    walk(tree)
    return frozenset(found)


def _context_name(node: nodes.Node, names: frozenset[str]) -> bool:
    return isinstance(node, nodes.Name) and node.ctx == "load" and node.name in names


def _constant_key(node: nodes.Getattr | nodes.Getitem) -> str | None:
    """The key read, or None when the whole value may be read (`env.items()`, `env[x]`)."""
    if isinstance(node, nodes.Getattr):
        return None if node.attr in _MAPPING_METHODS else node.attr
    argument = node.arg
    if isinstance(argument, nodes.Const) and isinstance(argument.value, str):
        return argument.value
    return None


def _read_yaml_value(text: str) -> object:
    if _PLAIN_WORD.match(text) and text not in _YAML_WORDS:
        return text
    if _PLAIN_INT.match(text):
        return int(text)
    result = read_yaml(text, "<output>")
    if result.problems:
        problem = result.problems[0]
        where = f"line {problem.line}: " if problem.line else ""
        raise TemplateError(
            f"the output is not valid YAML ({where}{problem.message}): {text!r}",
            "the output is not valid YAML",
        )
    if len(result.documents) > 1:
        raise TemplateError(f"the output holds {len(result.documents)} YAML documents, not one")
    return result.documents[0].data if result.documents else None


def _describe(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    if "no loader" in message:
        return "templates cannot include, import or extend other templates"
    if type(exc).__name__ in {
        "UndefinedError",
        "TemplateFunctionError",
        "SecurityError",
        "NotDeterministic",
    }:
        return message
    return f"{type(exc).__name__}: {message}"

"""The Jinja2 sandbox computed values render in: strict, bounded, and free of I/O.

Jinja's `SandboxedEnvironment` keeps templates away from Python internals; it does not bound
work. State files are input from many people, so every way a short template can make a lot
of work or memory is bounded here:

- **steps**: every loop iteration and every call spends one step from a per-render budget
  (loops are rewritten at compile time to iterate through a counting filter);
- **output**: rendering stops as soon as the output passes its size limit;
- **built values**: every value a template builds counts against the output limit *before*
  it is built (`fasit.plan.sizes`): `*`, `+` and `~`, `%` and `format`, `join`, `replace`,
  the padding filters, the serializers and the str methods that grow text, so a one-line
  template cannot allocate a gigabyte on the way to its output; `**` and format widths are
  bounded too.

There is no loader: `include`, `import` and `extends` fail, so a template sees only its
context.

Renders are deterministic (`determinism.py`): the names of Jinja's that break this are removed,
and a template naming one is refused when it compiles; an output holding a memory address is
refused as it appears, and so is a set (made by `-` on a mapping's keys), whose order follows
the hash seed.
"""

from __future__ import annotations

import functools
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, Undefined, nodes
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

from fasit.errors import InvalidInput
from fasit.plan.determinism import (
    NOT_DETERMINISTIC,
    NotDeterministic,
    refuse_address,
    refuse_not_deterministic,
)
from fasit.plan.sizes import BUILDERS, text_size
from fasit.state import some

__all__ = [
    "NOT_DETERMINISTIC",
    "BoundedTemplate",
    "NotDeterministic",
    "RenderLimitExceeded",
    "RenderLimits",
    "Sandbox",
]


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """Bounds on one template render."""

    max_output_chars: int = 65_536
    max_steps: int = 100_000
    """Loop iterations plus calls."""


@dataclass(frozen=True, slots=True)
class BoundedTemplate:
    """A compiled template, and whether it can repeat work (loops, calls, macros)."""

    template: Template
    repeats: bool


_MISSING = object()


class RenderLimitExceeded(InvalidInput):
    """A render went past one of its limits."""


class _FriendlyUndefined(StrictUndefined):
    """Strict undefined whose message names the keys that do exist."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        container = self._undefined_obj
        name = self._undefined_name
        if isinstance(container, Mapping) and isinstance(name, str):
            keys = some(sorted(str(key) for key in container)) or "none"
            return f"no key {name!r} here (keys: {keys})"
        return str(super()._undefined_message)


_WIDE_PERCENT = re.compile(r"%[-#0 +]*(?:\*|\d{5,})|%[-#0 +]*\d*\.(?:\*|\d{5,})")
_WIDE_BRACES = re.compile(r"\{[^{}]*:[^{}]*\d{5,}[^{}]*\}")
_PADDING_FILTERS = ("center", "indent", "wordwrap", "truncate", "batch", "slice")


class Sandbox(SandboxedEnvironment):
    """A sandboxed Jinja2 environment whose renders are bounded by `RenderLimits`."""

    intercepted_binops = frozenset({"*", "**", "%", "-", "+"})

    def __init__(self, limits: RenderLimits, functions: Mapping[str, Callable[..., Any]]) -> None:
        super().__init__(undefined=_FriendlyUndefined, finalize=self._finalize, autoescape=False)
        self.limits = limits
        self._budget = [limits.max_steps]
        """Steps left in the current render; one planner renders one template at a time."""
        tables = {"filter": self.filters, "test": self.tests, "global": self.globals}
        for kind, name in NOT_DETERMINISTIC:
            tables[kind].pop(name, None)  # Sprig's names were never there
        self.globals.update(functions)
        self.globals["range"] = self._range
        self.filters.update(functions)
        self.filters["format"] = self._format_filter
        for name in _PADDING_FILTERS:
            self.filters[name] = self._capped(self.filters[name])
        for namespace in (self.filters, self.globals):
            for built in BUILDERS.keys() & namespace.keys():
                namespace[built] = self._sized(built, namespace[built])
        self.filters["fasit_counted"] = self._counted
        self.filters["fasit_concat"] = self._concat

    def parse(
        self, source: str, name: str | None = None, filename: str | None = None
    ) -> nodes.Template:
        """The template's syntax tree; raises `NotDeterministic` when it names something in
        `NOT_DETERMINISTIC` (before Jinja's own check, which would only say it is unknown)."""
        tree = super().parse(source, name, filename)
        refuse_not_deterministic(tree)
        return tree

    def compile_bounded(self, tree: nodes.Template) -> BoundedTemplate:
        """Compile a parsed template with every loop iterating through the step counter."""
        loops = list(tree.find_all(nodes.For))
        for loop in loops:
            counted = nodes.Filter(loop.iter, "fasit_counted", [], [], None, None)
            counted.set_lineno(loop.iter.lineno)
            loop.iter = counted
        tree = _ConcatCounted().visit(tree)
        repeats = bool(loops) or any(True for _ in tree.find_all((nodes.Call, nodes.Macro)))
        return BoundedTemplate(self.from_string(tree), repeats)

    def render(self, template: BoundedTemplate, context: Context) -> str:
        """Render `template` in `context` within the limits (raises `RenderLimitExceeded`).

        Without loops, calls or macros a template's output is bounded by its inputs (the
        amplifying operators are checked as they run), so it is measured once at the end.
        """
        limit = self.limits.max_output_chars
        if not template.repeats:
            text = "".join(template.template.root_render_func(context))
            if len(text) > limit:
                raise RenderLimitExceeded(f"output is longer than {limit} characters")
            return refuse_address(text)
        self._budget[0] = self.limits.max_steps
        size = 0
        chunks = []
        for chunk in template.template.root_render_func(context):
            size += len(chunk)
            if size > limit:
                raise RenderLimitExceeded(f"output is longer than {limit} characters")
            chunks.append(chunk)
        return refuse_address("".join(chunks))

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`mapping.key` reads the key first: state values are data, not Python objects."""
        if type(obj) is dict:
            value = obj.get(attribute, _MISSING)
            if value is not _MISSING:
                return value
        return super().getattr(obj, attribute)

    # What the sandbox routes through the environment: calls and the intercepted operators.

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        __self._spend()
        subject = getattr(__obj, "__self__", None)
        if isinstance(subject, str) and getattr(__obj, "__name__", "") in BUILDERS:
            # `s.replace(…)`, `sep.join(…)`, `s.ljust(…)`: the str methods that grow text.
            name = __obj.__name__
            __self._check_size(name, BUILDERS[name](__self._limit, subject, *args, **kwargs))
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Context, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "*":
            self._check_repeat(left, right)
            return left * right
        if operator_name == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                self._check_size("+", len(left) + len(right))
            return left + right
        if operator_name == "-":
            difference = left - right
            if isinstance(difference, set | frozenset):
                # `env.keys() - [...]` is a set: its order follows PYTHONHASHSEED.
                raise NotDeterministic(
                    "`-` on a mapping's keys or items gives a set, whose order changes from run"
                    " to run: templates must be deterministic (use"
                    " `env | reject('in', [...]) | list`, which keeps the mapping's order)"
                )
            return difference
        if operator_name == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 64:
                raise RenderLimitExceeded(f"{left} ** {right} is too large")
            return left**right
        if isinstance(left, str):
            _check_format(left)
            self._check_size("%", BUILDERS["format"](self._limit, left, right))
        return operator.mod(left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        text = value.__self__
        _check_format(text)

        def sized(*args: Any, **kwargs: Any) -> str:
            self._check_size("format", BUILDERS["format"](self._limit, text, *args, **kwargs))
            return wrapped(*args, **kwargs)

        return sized

    @property
    def _limit(self) -> int:
        return self.limits.max_output_chars

    def _check_size(self, what: str, size: int) -> None:
        """Refuse building a value of `size` characters (or items) past the output budget."""
        if size > self._limit:
            raise RenderLimitExceeded(
                f"{what} would build more than {self._limit:,} characters,"
                " the render's output budget"
            )

    def _sized(self, name: str, builder: Any) -> Callable[..., Any]:
        """`builder`, refusing to run when its result would pass the output budget."""
        estimate = BUILDERS[name]

        @functools.wraps(builder)
        def sized(*args: Any, **kwargs: Any) -> Any:
            subject = args[1:] if args and isinstance(args[0], Context | EvalContext) else args
            self._check_size(name, estimate(self._limit, *subject, **kwargs))
            return builder(*args, **kwargs)

        return sized

    def _concat(self, parts: tuple[Any, ...]) -> str:
        self._check_size("~", sum(text_size(part, self._limit) for part in parts))
        return "".join(map(str, parts))

    def _finalize(self, value: Any) -> Any:
        """`_finalize`, refusing to print a list or mapping whose text passes the budget."""
        if isinstance(value, dict | list | tuple):
            self._check_size("printing", text_size(value, self._limit))
        return _finalize(value)

    def _spend(self) -> None:
        budget = self._budget
        budget[0] -= 1
        if budget[0] < 0:
            raise RenderLimitExceeded(
                f"more than {self.limits.max_steps} loop iterations and calls"
            )

    def _counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self._spend()
            yield item

    def _range(self, *args: int) -> range:
        numbers = range(*args)
        if len(numbers) > self.limits.max_steps:
            raise RenderLimitExceeded(f"range of {len(numbers)} numbers is too long")
        return numbers

    def _check_repeat(self, left: Any, right: Any) -> None:
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, str | list | tuple) and isinstance(count, int):
                # A list's items count as the text they print: `[s] * n` holds `s` n times.
                self._check_size("*", text_size(sequence, self._limit) * count)

    def _capped(self, jinja_filter: Callable[..., Any]) -> Callable[..., Any]:
        """The filter, refusing numeric arguments (widths) beyond the output limit."""
        limit = self.limits.max_output_chars

        def capped(value: Any, *args: Any, **kwargs: Any) -> Any:
            for argument in (*args, *kwargs.values()):
                if isinstance(argument, int) and argument > limit:
                    self._check_size(f"a width of {argument}", argument)
            return jinja_filter(value, *args, **kwargs)

        return capped

    def _format_filter(self, value: Any, *args: Any, **kwargs: Any) -> str:
        text = str(value)
        _check_format(text)
        self._check_size("format", BUILDERS["format"](self._limit, text, *args, **kwargs))
        return text % (kwargs or args)


class _ConcatCounted(NodeTransformer):
    """Rewrites `a ~ b` to go through the sandbox's `fasit_concat`, which sizes it first."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802
        parts = [self.visit(part) for part in node.nodes]
        counted = nodes.Filter(nodes.Tuple(parts, "load"), "fasit_concat", [], [], None, None)
        counted.set_lineno(node.lineno)
        return counted


def _check_format(text: str) -> None:
    if _WIDE_PERCENT.search(text) or _WIDE_BRACES.search(text):
        raise RenderLimitExceeded(f"format widths over 9999 (or *) are not allowed: {text!r}")


def _finalize(value: Any) -> Any:
    """What `{{ … }}` prints: YAML-readable text, so the parsed output keeps the value's type."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    if callable(value) and not isinstance(value, Undefined):
        # Its repr holds a memory address: a value, and a release hash, that differ every run.
        name = getattr(value, "__name__", "it")
        raise TypeError(f"{name} is a function: call it to get a value")
    return value

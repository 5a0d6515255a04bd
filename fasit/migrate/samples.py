"""Sample environments for checking one translated template: built from what the Go template
reads, so both sides have something to render.

verify.py calls `samples_for`. What the template reads of `.Env`, `.Envs` items and
`.Management` becomes keys of every sample environment; `.Configs.x` and `.Fasit.X` keys of the
config and server values. Constants the template compares with (`eq .Kind "onprem"`,
`eq .Env.name "prod"`) become values of some samples, so that each branch is taken in one;
there is one sample per environment kind the template compares `.Kind` with, and one of a kind
it does not. Pure.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fasit.migrate.go_values import GoStruct
from fasit.migrate.gotemplate import (
    Action,
    Argument,
    Chain,
    Command,
    Dot,
    Field,
    Identifier,
    If,
    Node,
    Number,
    Pipeline,
    Range,
    String,
    Variable,
    With,
)

__all__ = ["KINDS", "TENANT", "Sample", "samples_for"]

KINDS = ("tenant", "management", "onprem", "legacy")
TENANT = "example"
_MAX_SAMPLES = 6
_ENVIRONMENT_ROOTS = ("Env", "Envs", "Management")

Path = tuple[str, ...]
_ITEM = "*"  # an item of a list or map being ranged over

# What a function's argument must be for the call to run at all: (function, index from the end
# of Go's argument list) → shape. Index -1 is the last argument (the piped one).
_ARGUMENT_SHAPES: dict[tuple[str, int], str] = {
    ("mapJoin", -1): "map",
    ("prefixedValues", -2): "map",
    ("hasKey", -2): "map",
    ("dig", -1): "map",
    ("join", -1): "list",
    ("sortAlpha", -1): "list",
    ("first", -1): "list",
    ("last", -1): "list",
    ("fromJSON", -1): "json",
    ("fromJson", -1): "json",
    ("b64dec", -1): "base64",
    ("b32dec", -1): "base32",
}
_MAP_FIRST = {"pick", "omit", "merge"}

_Arguments = list[Argument | None]
_Paths = list[Path | None]


def _item(path: Path | None) -> Path | None:
    return None if path is None else (*path, _ITEM)


# Functions that read keys named by their arguments: (the map, or the list's item, they read
# them of; the arguments naming the keys), in Go's argument order.
_NAMED_KEYS: dict[str, Callable[[_Arguments, _Paths], tuple[Path | None, _Arguments]]] = {
    "mapOf": lambda a, p: (_item(p[-1]), a[:2]),
    "eachOf": lambda a, p: (_item(p[0]), a[1:2]),
    "environmentsAsMap": lambda a, p: (_item(p[1]), a[:1]),
    "filter": lambda a, p: (_item(p[-1]), a[:1]),
    "exclude": lambda a, p: (_item(p[-1]), a[:1]),
    "pick": lambda a, p: (p[0], a[1:]),
    "omit": lambda a, p: (p[0], a[1:]),
}


@dataclass(frozen=True)
class Sample:
    """One environment of a made-up tenant, as both dialects see it."""

    kind: str
    env: dict[str, object]
    envs: list[dict[str, object]]
    management: dict[str, object]
    configs: dict[str, object]
    fasit: dict[str, str]

    def go_root(self) -> GoStruct:
        """nais/fasit's MappingValues: `.Kind`, `.Tenant.Name`, `.Env`, `.Envs`, …"""
        return GoStruct(
            "MappingValues",
            {
                "Kind": self.kind,
                "Tenant": GoStruct("MappingTenant", {"Name": TENANT}),
                "Management": self.management,
                "Env": self.env,
                "Envs": self.envs,
                "Configs": self.configs,
                "Fasit": self.fasit,
            },
        )

    def fasit_context(self) -> dict[str, object]:
        """fasit's template context for the same environment."""
        return {
            "kind": self.kind,
            "tenant": {"name": TENANT},
            "env": self.env,
            "envs": self.envs,
            "management": self.management,
            "configs": self.configs,
            "labels": {"tenant": TENANT, "env": str(self.env["name"])},
            "fasit": self.fasit,
        }


@dataclass
class _Reads:
    paths: set[Path] = field(default_factory=set)
    shapes: dict[Path, str] = field(default_factory=dict)
    constants: dict[Path, list[object]] = field(default_factory=dict)
    prefixes: dict[Path, list[str]] = field(default_factory=dict)


def samples_for(nodes: Sequence[Node]) -> list[Sample]:
    """The sample environments to render the template in (at least one)."""
    reads = _Reads()
    _Walker(reads).nodes(nodes, (), {})
    kinds = [str(k) for k in reads.constants.get(("Kind",), []) if k in KINDS]
    kinds = list(dict.fromkeys(kinds))
    kinds += [kind for kind in KINDS if kind not in kinds][:1]
    choices = max([len(kinds)] + [len(v) + 1 for v in reads.constants.values()])
    return [
        _sample(reads, kinds[number % len(kinds)], number)
        for number in range(min(choices, _MAX_SAMPLES))
    ]


def _sample(reads: _Reads, kind: str, number: int) -> Sample:
    schema = _environment_schema(reads)
    # The environment rendered in: the management one, or each of two others in turn.
    current = "management" if kind == "management" else ("dev", "prod")[number % 2]
    made = {
        name: _environment(schema, name, kind if name == current else "tenant", number)
        for name in ("dev", "prod")
    }
    made["management"] = _environment(schema, "management", "management", number)
    configs = _tree(reads, ("Configs",), "value", number)
    fasit = {p[1]: f"{p[1]}-value" for p in reads.paths if p[0] == "Fasit" and len(p) > 1}
    return Sample(
        kind=kind,
        env=made[current],
        envs=[made["dev"], made["prod"]],
        management=made["management"],
        configs=configs if isinstance(configs, dict) else {},
        fasit=fasit,
    )


def _environment_schema(reads: _Reads) -> _Reads:
    """Everything read of any environment (`.Env`, `.Envs` items, `.Management`), as one."""

    def common(path: Path) -> Path | None:
        if path[:1] in (("Env",), ("Management",)):
            return ("E", *path[1:])
        if path[:2] == ("Envs", _ITEM):
            return ("E", *path[2:])
        return None

    merged = _Reads()
    for path in reads.paths:
        if (moved := common(path)) is not None:
            merged.paths.add(moved)
    for path, shape in reads.shapes.items():
        if (moved := common(path)) is not None:
            merged.shapes.setdefault(moved, shape)
    for path, constants in reads.constants.items():
        if (moved := common(path)) is not None:
            merged.constants.setdefault(moved, []).extend(constants)
    for path, prefixes in reads.prefixes.items():
        if (moved := common(path)) is not None:
            merged.prefixes.setdefault(moved, []).extend(prefixes)
    return merged


def _environment(schema: _Reads, name: str, kind: str, number: int) -> dict[str, object]:
    values = _tree(schema, ("E",), name, number)
    env = values if isinstance(values, dict) else {}
    # nais/fasit's `subdomain` builds the name from the tenant and environment; fasit's reads
    # `domain`: the sample keeps nais's convention, as environments moved from nais do.
    domain = f"{TENANT}.cloud.nais.io" if kind == "management" else f"{name}.{TENANT}.cloud.nais.io"
    return {**env, "name": name, "kind": kind, "domain": domain}


def _tree(reads: _Reads, path: Path, owner: str, number: int) -> object:
    """The sample value at `path`: a map of what is read under it, else a leaf."""
    children = sorted(
        {p[len(path)] for p in reads.paths if len(p) > len(path) and p[: len(path)] == path}
    )
    shape = reads.shapes.get(path)
    prefixes = reads.prefixes.get(path, [])
    if _ITEM in children or shape in ("list", "collection"):
        item = _tree(reads, (*path, _ITEM), owner, number)
        if shape == "collection" and _ITEM not in children:
            return {"a": f"a-{owner}", "b": f"b-{owner}"}
        if item is None or shape == "list":
            return [f"a-{owner}", f"b-{owner}"]
        return [item, _tree(reads, (*path, _ITEM), f"{owner}2", number)]
    if children or shape == "map" or prefixes:
        made: dict[str, object] = {
            key: _tree(reads, (*path, key), owner, number) for key in children
        }
        for prefix in prefixes:
            made.setdefault(f"{prefix}one", f"one-{owner}")
            made.setdefault(f"{prefix}two", f"two-{owner}")
        if not made:
            made = {"a": f"a-{owner}", "b": f"b-{owner}"}
        return made
    if path[-1:] == (_ITEM,):
        return None
    constants = reads.constants.get(path, [])
    if constants and number % (len(constants) + 1) < len(constants):
        return constants[number % (len(constants) + 1)]
    leaf = f"{path[-1]}-{owner}"
    if shape == "json":
        return '{"a": "' + leaf + '"}'
    if shape == "base64":
        return base64.b64encode(leaf.encode()).decode()
    if shape == "base32":
        return base64.b32encode(leaf.encode()).decode()
    return leaf


class _Walker:
    """Follows the dot and the variables through the template, noting what is read where."""

    def __init__(self, reads: _Reads) -> None:
        self.reads = reads

    def nodes(
        self, nodes: Sequence[Node], dot: Path | None, variables: dict[str, Path | None]
    ) -> None:
        scope = dict(variables)
        for node in nodes:
            if isinstance(node, Action):
                value = self.pipeline(node.pipeline, dot, scope)
                for name in node.pipeline.variables:
                    scope[name] = value
            elif isinstance(node, If | With):
                value = self.pipeline(node.pipeline, dot, scope)
                inner = value if isinstance(node, With) else dot
                self.nodes(node.body, inner, scope)
                if node.otherwise is not None:
                    self.nodes(node.otherwise, dot, scope)
            elif isinstance(node, Range):
                self.range_(node, dot, scope)

    def range_(self, node: Range, dot: Path | None, scope: dict[str, Path | None]) -> None:
        names = node.pipeline.variables
        subject = self.pipeline(
            Pipeline(node.pipeline.commands, node.pipeline.position), dot, scope
        )
        item = None if subject is None else (*subject, _ITEM)
        if subject is not None:
            self.reads.shapes.setdefault(subject, "collection" if len(names) == 2 else "list")
        inner = dict(scope)
        if names:
            inner[names[-1]] = item
        if len(names) == 2:
            inner[names[0]] = None
        self.nodes(node.body, item, inner)
        if node.otherwise is not None:
            self.nodes(node.otherwise, dot, scope)

    def pipeline(
        self, pipeline: Pipeline, dot: Path | None, scope: dict[str, Path | None]
    ) -> Path | None:
        value: Path | None = None
        piped = False
        for command in pipeline.commands:
            value = self.command(command, dot, scope, value, piped=piped)
            piped = True
        return value

    def command(
        self,
        command: Command,
        dot: Path | None,
        scope: dict[str, Path | None],
        piped_path: Path | None,
        *,
        piped: bool,
    ) -> Path | None:
        first, *rest = command.arguments
        if not isinstance(first, Identifier):
            return self.operand(first, dot, scope)
        paths = [self.operand(argument, dot, scope) for argument in rest]
        arguments: list[Argument | None] = list(rest)
        if piped:
            paths.append(piped_path)
            arguments.append(None)
        return self.function(first.name, arguments, paths)

    def function(
        self, name: str, arguments: list[Argument | None], paths: list[Path | None]
    ) -> Path | None:
        for at, path in enumerate(paths):
            shape = _ARGUMENT_SHAPES.get((name, at - len(paths)))
            if name in _MAP_FIRST and at == 0:
                shape = "map"
            if path is not None and shape is not None:
                self.reads.shapes.setdefault(path, shape)
        self.named_keys(name, arguments, paths)
        if name in ("eq", "ne") and paths and paths[0] is not None:
            constants = [a.value for a in arguments[1:] if isinstance(a, String | Number)]
            self.reads.constants.setdefault(paths[0], []).extend(constants)
        if name == "prefixedValues" and len(arguments) == 2 and paths[0] is not None:
            prefix = arguments[1]
            if isinstance(prefix, String):
                self.reads.prefixes.setdefault(paths[0], []).append(prefix.value)
        if name == "index" and paths and paths[0] is not None:
            path = paths[0]
            for key in arguments[1:]:
                if isinstance(key, String):
                    path = (*path, key.value)
                elif isinstance(key, Number) and isinstance(key.value, int):
                    path = (*path, _ITEM)
                else:
                    return None
                self.reads.paths.add(path)
            return path
        if name in ("filter", "exclude") and paths:
            return paths[-1]  # some items of the same list
        if name in ("first", "last") and paths:
            return _item(paths[-1])
        return None

    def named_keys(
        self, name: str, arguments: list[Argument | None], paths: list[Path | None]
    ) -> None:
        """Keys a function reads by name (`mapOf "name" "project" .Envs`): every sample has
        them, so that both sides render the case the template was written for."""
        where = _NAMED_KEYS.get(name)
        if where is None or len(paths) < 2:
            return
        subject, keys = where(arguments, paths)
        if subject is None:
            return
        for key in keys:
            if isinstance(key, String):
                for part in key.value.split(",") if name == "environmentsAsMap" else [key.value]:
                    self.reads.paths.add((*subject, part))
        if name in ("filter", "exclude") and isinstance(arguments[0], String):
            value = arguments[1]
            if isinstance(value, String | Number):
                constant = self.reads.constants.setdefault((*subject, arguments[0].value), [])
                constant.append(value.value)

    def operand(
        self, argument: Argument, dot: Path | None, scope: dict[str, Path | None]
    ) -> Path | None:
        if isinstance(argument, Dot):
            return dot
        if isinstance(argument, Field):
            return self.read(dot, argument.names)
        if isinstance(argument, Variable):
            base = () if argument.name == "$" else scope.get(argument.name)
            return self.read(base, argument.names)
        if isinstance(argument, Chain):
            return self.read(self.pipeline(argument.pipeline, dot, scope), argument.names)
        if isinstance(argument, Identifier):
            return self.function(argument.name, [], [])
        return None

    def read(self, base: Path | None, names: Sequence[str]) -> Path | None:
        if base is None:
            return None
        path = base
        for name in names:
            path = (*path, name)
            self.reads.paths.add(path)
        return path

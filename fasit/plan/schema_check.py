"""The values helm will get, checked against the chart's values.schema.json as helm will check them.

Helm coalesces before it validates: the chart's `values.yaml` defaults under the given values
(maps merge, a null deletes the default), each enabled subchart's defaults under its section
(`values[<alias or name>]`), the parent's `global` over the subchart's. Then the chart's schema
is checked against the whole of it, and each subchart's schema against its own section (its
`global` included), recursively. A subchart whose Chart.yaml `condition` is false is left out
(its defaults are not merged and its schema is not checked); `tags` are not evaluated.

Violations name the value path and the rule, never the value: it may be a secret. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from jsonschema.exceptions import ValidationError
from referencing.exceptions import Unresolvable

from fasit.charts import ChartSchema, text_keys
from fasit.plan.keys import split_key
from fasit.plan.release import DesiredRelease, Location
from fasit.plan.secrets import MASK

__all__ = ["SchemaViolation", "check_values", "coalesce", "traced", "violations_message"]

_SHOWN = 3
# Draft 2019-09 on; `dependencies` before (whose schema form is left to the generic rule).
_DEPENDENT = frozenset({"dependentRequired", "dependencies"})


@dataclass(frozen=True, slots=True, order=True)
class SchemaViolation:
    """One broken rule: where (`at`, a path into the values), and which rule, in words.

    `key` is the value the rule is about (`at` and the property, for a property that must not
    be there): what traces it back to the Feature.yaml or Config line that set it.
    """

    at: tuple[str, ...]
    rule: str
    key: tuple[str, ...]

    @property
    def shown(self) -> str:
        return f"{'.'.join(self.at) or '(top level)'}: {self.rule}"

    def masked(self, secret: tuple[str, ...]) -> SchemaViolation:
        """This violation with every key below the `secret` value's path masked: a computed
        map that read a secret may have made a key of it."""
        depth = len(secret)
        if self.key[:depth] != secret:
            return self
        rule = self.rule
        if len(self.key) > max(len(self.at), depth):  # the rule names a key below the secret
            rule = rule.replace(repr(self.key[-1]), repr(MASK))
        at = (*self.at[:depth], *(MASK for _ in self.at[depth:]))
        return SchemaViolation(at, rule, self.key)


def check_values(schema: ChartSchema, values: Mapping[str, object]) -> list[SchemaViolation]:
    """Every violation of `schema` (and its subcharts') by `values` merged over the defaults."""
    if schema.validator is None and not schema.subcharts:
        return []  # nothing to check against: no merge (most charts, for every release)
    keyed = text_keys(values)
    assert isinstance(keyed, dict)
    return sorted(_check(schema, _coalesce_tree(schema, keyed), ()))


def violations_message(
    violations: Sequence[SchemaViolation], secret_keys: Collection[str] = ()
) -> str:
    """The first few violations in a sentence, and how many more there are; keys below the
    values of `secret_keys` (flat keys of secret or secret-derived values) masked."""
    secrets = [split_key(key) for key in secret_keys]
    for secret in secrets:
        violations = [violation.masked(secret) for violation in violations]
    shown = "; ".join(violation.shown for violation in violations[:_SHOWN])
    more = len(violations) - _SHOWN
    return (
        "values do not match the chart's values.schema.json: "
        + shown
        + (f"; and {more} more" if more > 0 else "")
    )


def traced(planned: DesiredRelease, violations: list[SchemaViolation]) -> Location | None:
    """Where the first violation that a value of the release set can be fixed.

    The value set at the violation's path or above it (a whole map set by one key), else one
    set below it (a map holding a value of the wrong kind); None when only defaults are there.
    """
    paths = {split_key(key): key for key in planned.flat}
    for violation in violations:
        above = [path for path in paths if violation.key[: len(path)] == path]
        below = sorted(path for path in paths if path[: len(violation.key)] == violation.key)
        found = max(above, key=len, default=None) or next(iter(below), None)
        if found is not None:
            return planned.source(paths[found]).location
    return None


def coalesce(defaults: Mapping[str, object], values: Mapping[str, object]) -> dict[str, object]:
    """`values` over `defaults`: mappings merge, a null in `values` deletes the default.

    A null where there is no default stays, as in Helm: the schema sees it.
    """
    merged: dict[str, object] = dict(defaults)
    for key, value in values.items():
        below = merged.get(key)
        if value is None and key in merged:
            del merged[key]
        elif isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = coalesce(below, value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True, slots=True)
class _Coalesced:
    """A chart's values as helm validates them, and its enabled subcharts' (None: not a map)."""

    values: dict[str, object]
    subcharts: dict[str, _Coalesced | None]


def _coalesce_tree(schema: ChartSchema, values: Mapping[str, object]) -> _Coalesced:
    merged = coalesce(schema.defaults, values)
    parent_global = merged.get("global")
    sections: dict[str, _Coalesced | None] = {}
    for subchart in schema.subcharts:
        section = merged.get(subchart.key, {})
        if not isinstance(section, Mapping):
            sections[subchart.key] = None  # helm refuses it: reported by _check
            continue
        # The parent's globals win over the section's, which win over the subchart's own.
        inner = {**section, "global": coalesce(_map(section.get("global")), _map(parent_global))}
        sections[subchart.key] = _coalesce_tree(subchart.chart, inner)
    # Conditions are read with every subchart's defaults in place, as helm reads them.
    view = {key: tree.values for key, tree in sections.items() if tree is not None}
    enabled = {
        subchart.key: sections[subchart.key]
        for subchart in schema.subcharts
        if _enabled({**merged, **view}, subchart.condition)
    }
    for key, tree in enabled.items():
        if tree is not None:
            merged[key] = tree.values
    return _Coalesced(merged, enabled)


def _map(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _enabled(values: Mapping[str, object], condition: str) -> bool:
    """The first of the condition's paths that holds a boolean decides; none: enabled."""
    for path in filter(None, (part.strip() for part in condition.split(","))):
        node: object = values
        for part in path.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, bool):
            return node
    return True


def _check(
    schema: ChartSchema, tree: _Coalesced, prefix: tuple[str, ...]
) -> Iterator[SchemaViolation]:
    if schema.validator is not None:
        try:
            for error in schema.validator.iter_errors(tree.values):  # type: ignore[arg-type]
                yield from _violations(error, prefix)
        except Unresolvable as exc:
            rule = f"the schema has a $ref that cannot be resolved here: {exc}"
            yield SchemaViolation(prefix, rule, prefix)
        except RecursionError:
            # jsonschema follows a $ref cycle until Python's stack ends; helm refuses the cycle.
            rule = "the schema's $refs form a cycle that never reaches a rule"
            yield SchemaViolation(prefix, rule, prefix)
    for subchart in schema.subcharts:
        if subchart.key not in tree.subcharts:  # disabled by its condition
            continue
        section = tree.subcharts[subchart.key]
        at = (*prefix, subchart.key)
        if section is None:
            rule = f"must be a mapping: the values of subchart {subchart.chart.name!r}"
            yield SchemaViolation(at, rule, at)
        else:
            yield from _check(subchart.chart, section, at)


def _violations(error: ValidationError, prefix: tuple[str, ...]) -> Iterator[SchemaViolation]:
    at = (*prefix, *(str(part) for part in error.absolute_path))
    validator, expected, instance = error.validator, error.validator_value, error.instance
    if validator == "additionalProperties" and isinstance(instance, Mapping):
        for name in _additional(error.schema, instance):
            yield SchemaViolation(at, f"additional property {name!r} is not allowed", (*at, name))
    elif validator == "required" and isinstance(instance, Mapping):
        for name in expected if isinstance(expected, list) else []:
            if name not in instance:
                yield SchemaViolation(at, f"missing required property {name!r}", (*at, name))
    elif validator in _DEPENDENT and isinstance(instance, Mapping) and isinstance(expected, dict):
        for present, needed in expected.items():
            for name in needed if present in instance and isinstance(needed, list) else []:
                if name not in instance:
                    rule = f"missing property {name!r}, required when {present!r} is set"
                    yield SchemaViolation(at, rule, (*at, name))
    else:
        rule = _rule(str(validator), expected)
        if "propertyNames" in error.relative_schema_path:  # the rule is about a key, not at `at`
            rule = f"a key {rule}"
        yield SchemaViolation(at, rule, at)


def _additional(schema: object, instance: Mapping[str, object]) -> list[str]:
    """The properties of `instance` that neither `properties` nor `patternProperties` name."""
    declared = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
    patterns = schema.get("patternProperties", {}) if isinstance(schema, Mapping) else {}
    return [
        name
        for name in instance
        if name not in declared and not any(re.search(p, name) for p in patterns)
    ]


_BOUNDS = {
    "minimum": "must be >= {}",
    "maximum": "must be <= {}",
    "exclusiveMinimum": "must be > {}",
    "exclusiveMaximum": "must be < {}",
    "multipleOf": "must be a multiple of {}",
    "minLength": "must be at least {} characters long",
    "maxLength": "must be at most {} characters long",
    "minItems": "must have at least {} items",
    "maxItems": "must have at most {} items",
    "minProperties": "must have at least {} properties",
    "maxProperties": "must have at most {} properties",
    "pattern": "must match the pattern {!r}",
    "format": "must be a valid {!r}",
    "const": "must be {!r}",
    "enum": "must be one of {!r}",
}


def _rule(validator: str, expected: object) -> str:
    """A rule in words, from the schema alone (never from the value that broke it)."""
    if validator == "type":
        types = expected if isinstance(expected, list) else [expected]
        return "must be of type " + " or ".join(repr(kind) for kind in types)
    if validator == "uniqueItems":
        return "must not hold the same item twice"
    if validator in _BOUNDS and not isinstance(expected, bool | dict):
        return _BOUNDS[validator].format(expected)
    if validator == "None":  # a `false` schema: nothing is allowed here
        return "is not allowed"
    return f"does not match the schema's {validator!r} rule"

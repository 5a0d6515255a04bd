"""Config values against their Feature.yaml declarations: declared, typed, secrets by reference.

Shared by validate (every Config and Feature `config`) and, later, values layering.
"""

from __future__ import annotations

from dataclasses import dataclass

from fasit.model import ConfigType, ValueSpec, is_secret_ref
from fasit.state import ProblemCode

__all__ = ["ConfigIssue", "check_config_value"]


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """What is wrong with one config value."""

    code: ProblemCode
    message: str


def check_config_value(key: str, value: object, spec: ValueSpec | None) -> ConfigIssue | None:
    """None when `value` may be given as config for `key` declared by `spec`."""
    if spec is None or spec.config is None:
        return ConfigIssue(ProblemCode.CONFIG_UNDECLARED, f"{key!r} is not declared as config")
    config = spec.config
    if is_secret_ref(value):
        if config.type is not ConfigType.STRING:
            return ConfigIssue(
                ProblemCode.CONFIG_WRONG_TYPE,
                f"{key!r} is {config.type}, but a secretRef resolves to a string",
            )
        return None
    if config.secret:
        return ConfigIssue(
            ProblemCode.CONFIG_SECRET_INLINE,
            f"{key!r} is secret: write {{secretRef: NAME}} and keep the value out of git",
        )
    if not _has_type(value, config.type):
        return ConfigIssue(
            ProblemCode.CONFIG_WRONG_TYPE,
            f"{key!r} is declared {config.type}, got {_describe(value)}",
        )
    return None


def _has_type(value: object, expected: ConfigType) -> bool:
    if expected is ConfigType.STRING:
        return isinstance(value, str)
    if expected is ConfigType.INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is ConfigType.BOOL:
        return isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _describe(value: object) -> str:
    if isinstance(value, dict) and "secretRef" in value:
        return "a malformed secretRef (write exactly {secretRef: NAME})"
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    for kind, name in kinds.items():
        if isinstance(value, kind):
            return f"{name} {value!r}"
    if value is None:
        return "null"
    return "a list" if isinstance(value, list) else "a mapping"

"""Secret references: any value written `{secretRef: NAME}` is a secret, resolved at render time."""

from __future__ import annotations

__all__ = ["SECRET_REF", "is_secret_ref"]

SECRET_REF = "secretRef"


def is_secret_ref(value: object) -> bool:
    """Whether `value` is a well-formed secret reference: exactly `{secretRef: <non-empty str>}`."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    name = value.get(SECRET_REF)
    return isinstance(name, str) and bool(name)

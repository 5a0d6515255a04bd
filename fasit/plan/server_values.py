"""Server-provided template values: the `fasit` namespace (`{{ fasit.iapAudience }}`).

nais/fasit let templates read settings of the server itself (`{{.Fasit.IAPAudience}}`). Here
they are given to `fasit serve` (and, to plan with them, to `plan`, `explain` and `validate`)
as `--template-value KEY=VALUE` or a YAML file of them. Without any, every key reads as the
placeholder `<fasit:KEY>`, so a repository validates in CI without the server's settings, as
secrets do. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Final

from fasit.errors import InvalidInput

__all__ = ["PlaceholderValues", "ServerValues", "TemplateValueError", "parse_template_value"]

_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class TemplateValueError(InvalidInput):
    """A template value given on the command line or in its file that cannot be used."""


class ServerValues(Mapping[str, str]):
    """The values given; a key not among them is a render error naming those that are."""

    def __init__(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            _check(key, value)
        self._values = dict(sorted(values.items()))

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def version(self) -> str:
        return repr(sorted(self._values.items()))


class PlaceholderValues(Mapping[str, str]):
    """No server values at hand: `<fasit:KEY>` for any key; nothing fails."""

    def __getitem__(self, key: str) -> str:
        if not isinstance(key, str):
            raise KeyError(key)
        return f"<fasit:{key}>"

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def version(self) -> str:
        return "placeholders"


def parse_template_value(text: str) -> tuple[str, str]:
    """`KEY=VALUE` as given to `--template-value`."""
    key, equals, value = text.partition("=")
    if not equals:
        raise TemplateValueError(f"{text!r}: expected KEY=VALUE")
    _check(key, value)
    return key, value


def _check(key: object, value: object) -> None:
    if not isinstance(key, str) or _KEY.fullmatch(key) is None:
        raise TemplateValueError(
            f"template value key {key!r}: letters, digits and _ only, not starting with a digit"
            " (templates read it as fasit.KEY)"
        )
    if not isinstance(value, str):
        raise TemplateValueError(
            f"template value {key}: a string, not {type(value).__name__} (quote it in YAML)"
        )

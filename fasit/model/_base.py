"""The base every state model shares: frozen, unknown fields forbidden, camelCase on the wire.

Python attributes are snake_case (`environment_kind`); YAML, JSON Schema and error locations use
the camelCase alias (`environmentKind`), because that is what people write and read.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = ["API_VERSION", "KIND_DESCRIPTION", "ApiVersion", "DnsLabel", "StateModel"]

API_VERSION = "fasit/v1"

ApiVersion = Annotated[
    Literal["fasit/v1"], Field(description="The version of the format: always fasit/v1.")
]
KIND_DESCRIPTION = "Which kind of document this is; it decides every other field."

# RFC 1123 label: what Kubernetes accepts for namespaces and helm for release names.
DnsLabel = Annotated[
    str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", min_length=1, max_length=63)
]


class StateModel(BaseModel):
    """Frozen, strict about unknown fields, camelCase aliases for every field."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        # Versions, names and labels are strings: `version: 1.10` must not become "1.1" silently.
        strict=True,
        use_enum_values=False,
    )

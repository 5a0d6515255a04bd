"""Where an environment's agent is served when replicas share a fleet (docs/ha.md), and how
the hub tells an agent to go elsewhere (a Redirect, then UNAVAILABLE: agent-protocol.md).

The hub asks a `Placement` (the wiring's; the leases are a later stage's) for each Hello and
when ownership moves; it never decides ownership itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from fasit_proto.agent.v1 import agent_pb2 as pb

__all__ = ["NOBODY_RETRY_MS", "Placement", "elsewhere_details", "redirect_message"]

Placement = Callable[[str], str | None]
"""Where an environment's agent is served: None here, another replica's agent address
(host:port), or "" while no replica owns it."""

NOBODY_RETRY_MS: Final = 2_000
"""How long an agent waits before dialling again when no replica owns its environment yet."""


def redirect_message(address: str) -> pb.ControllerMessage:
    return pb.ControllerMessage(redirect=pb.Redirect(address=address))


def elsewhere_details(environment: str, elsewhere: str) -> str:
    """The status details of a stream ended because another replica serves it (or none yet)."""
    if elsewhere:
        return f"{environment} is served by another fasit replica: dial {elsewhere}"
    return f"no fasit replica serves {environment} yet (leases are being taken); dial again"

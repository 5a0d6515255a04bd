"""What the agent reports without being asked: its inventory and its heartbeat.

The session (session.py) sends both on its timers and the inventory in its Hello; the worker
(worker.py) sends an inventory after each piece of work. An executor that cannot list its
releases is reported as an inventory error, never fatal.
"""

from __future__ import annotations

import logging

from naisd.outgoing import Outgoing
from naisd.wire import heartbeat_message, inventory_message
from naisd.work import Executor, Inventory

__all__ = ["read_inventory", "send_heartbeat", "send_inventory"]

# The agent's logger: these lines are the agent's, as they were before this split.
logger = logging.getLogger("naisd.agent")


async def read_inventory(executor: Executor) -> Inventory:
    """The executor's releases, or an empty inventory carrying the error."""
    try:
        return await executor.inventory()
    except Exception as exc:  # any executor failure is reported, never fatal
        logger.warning("cannot read the inventory: %r", exc)
        return Inventory((), error=f"{executor.name} inventory: {exc!r}")


async def send_inventory(executor: Executor, outgoing: Outgoing) -> None:
    """Read the inventory and send it to the live session (if any)."""
    outgoing.send(inventory_message(await read_inventory(executor)))


def send_heartbeat(executor: Executor, outgoing: Outgoing) -> None:
    """A heartbeat, unless the executor is unhealthy (then the controller sees silence)."""
    if executor.is_healthy():
        outgoing.send(heartbeat_message())

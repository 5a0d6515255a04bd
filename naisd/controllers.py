"""Which controller naisd dials next: its `--controller` addresses in turn, or a redirect.

Replicas of fasit that share a fleet each serve some environments; any of them tells an agent
that dialled the wrong one where to go (a Redirect, docs/agent-protocol.md). `Controllers`
keeps the given addresses (one may also be a name that resolves to many: gRPC tries each), the
one dialled now, and a redirect to follow. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["Controllers", "parse_controllers"]

_ADDRESS: Final = re.compile(r"^(?P<host>\[[0-9a-fA-F:.]+\]|[^:\s,]+):(?P<port>\d{1,5})$")


def parse_controllers(text: str) -> tuple[str, ...]:
    """`host:port[,host:port...]` as addresses; ValueError naming the first bad one.

    >>> parse_controllers("a:9090, b:9090")
    ('a:9090', 'b:9090')
    """
    addresses = tuple(part.strip() for part in text.split(","))
    for address in addresses:
        found = _ADDRESS.match(address)
        if found is None or not 0 < int(found["port"]) < 65536:
            raise ValueError(f"{address!r}: expected HOST:PORT")
    return addresses


class Controllers:
    """The address to dial: the given ones in turn, a redirect first when there is one."""

    def __init__(self, addresses: tuple[str, ...]) -> None:
        if not addresses:
            raise ValueError("at least one controller address is needed")
        self.addresses = addresses
        self._index = 0
        self._redirect = ""
        self.current = addresses[0]
        """The address of the session under way (or the last one)."""
        self._followed = False
        self._failed = 0

    def redirected(self, address: str) -> None:
        """The controller said: dial `address` instead."""
        self._redirect = address

    def next(self, *, welcomed: bool) -> bool:
        """The session ended (`welcomed` if it was served): move on. True when the next dial
        may go at once: the first redirect since a session was served, or the next address
        while a round through them is under way; False when it waits the backoff (a whole
        round failed, redirects keep bouncing, or a served session ended)."""
        redirect, self._redirect = self._redirect, ""
        if welcomed:
            self._followed = False
            self._failed = 0
        if redirect:
            self.current = redirect
            at_once = not self._followed
            self._followed = True
            return at_once
        if welcomed:
            return False  # served there before: dial the same one again first
        self._failed += 1
        self._index = (self._index + 1) % len(self.addresses)
        self.current = self.addresses[self._index]
        if self._failed >= len(self.addresses):
            self._failed = 0  # every address tried: back off before the next round
            return False
        return True

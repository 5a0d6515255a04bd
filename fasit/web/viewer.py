"""Who is looking: a `Viewer` sees the environments of its tenants, or every one.

Made per request by `fasit.web.auth` (the one place that turns credentials into a viewer) and
read by the scoped read side (`fasit.web.scoped`), which shows each viewer only what concerns
its tenants. Pure values; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

__all__ = ["EVERY_TENANT", "OPEN", "VIEWER_KEY", "Viewer", "viewer_of"]

EVERY_TENANT = "*"
"""The tenant list entry of a fleet admin."""

VIEWER_KEY = "fasit.viewer"
"""Where `fasit.web.auth` leaves the request's viewer in the ASGI scope."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """A token's, or a signed-in person's, view of the fleet.

    >>> nav = Viewer("ci", frozenset({"nav"}))
    >>> nav.sees("nav/prod"), nav.sees("acme/dev")
    (True, False)
    """

    name: str
    """The token's name or the person's email ("" with no authentication configured); never
    shown to others."""
    tenants: frozenset[str] | None
    """The tenants whose environments it sees; None: every tenant (a fleet admin)."""

    @property
    def is_admin(self) -> bool:
        return self.tenants is None

    def sees(self, environment: str) -> bool:
        """Whether the environment `tenant/name` is this viewer's to see."""
        return self.tenants is None or environment.partition("/")[0] in self.tenants


OPEN = Viewer("", None)
"""Everyone, when no authentication is configured: everything is shown, as before."""


def viewer_of(connection: HTTPConnection) -> Viewer:
    """The viewer `fasit.web.auth` found for this request. A request that did not pass
    through it is a wiring bug: it fails closed rather than show everything."""
    viewer = connection.scope.get(VIEWER_KEY)
    if not isinstance(viewer, Viewer):
        raise RuntimeError("no viewer: the app is not wrapped in fasit.web.auth.Authenticate")
    return viewer

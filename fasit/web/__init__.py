"""Web: the read-only surfaces of `fasit serve` (health, the JSON API). Reads, never writes."""

from fasit.web.api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ReadSide
from fasit.web.app import ReadOnly, create_app

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "ReadOnly", "ReadSide", "create_app"]

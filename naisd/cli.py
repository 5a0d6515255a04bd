"""The `naisd` command line. The agent itself arrives with the agent-protocol issue.

Until then it says so and exits 2, rather than pretending to run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from naisd import __version__

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, then report that the agent is not built yet (exit 2)."""
    parser = argparse.ArgumentParser(
        prog="naisd", description="The fasit agent (not built yet: see the agent-protocol issue)."
    )
    parser.add_argument("--version", action="version", version=f"naisd {__version__}")
    parser.parse_args(argv)
    print("naisd: the agent is not built yet; nothing was started", file=sys.stderr)
    return 2

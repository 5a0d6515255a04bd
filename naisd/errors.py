"""Errors naisd raises, drawn as a tree; naisd ships alone, so this root is not fasit's.

    NaisdError               every error naisd raises on purpose; its text is for a person
    ├── StateFileInvalid     (results) the state file is not naisd's: naisd refuses to start
    │                        (exit 2) rather than forget the results it holds
    ├── HelmFailed           (helm_list) a helm query failed or printed something unexpected:
    │                        the inventory reports it as its error and is taken again later
    └── ChartDownloadFailed  (chart_download) the chart archive cannot be had, or is not the
                             one the instruction pins: the instruction fails, reported as such

Private ones never leave their module: `cli._Unusable` (a flag or file naisd cannot start with:
exit 2) and `helm_labels._NotOurs` (a label naisd did not write: read as no hash). Caller
mistakes raise built-ins; library errors are raised again as one of these, `from` the original.
"""

from __future__ import annotations

__all__ = ["NaisdError"]


class NaisdError(Exception):
    """Base of every error naisd raises on purpose."""

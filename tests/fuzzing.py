"""Hypothesis profiles for the property tests (tests/**/test_*_fuzz.py), and their sizes.

`ci`, the default, is what `make test` runs: derandomized (the same examples on every run and
machine, so a failure reproduces) with no database, no deadline (the machine is shared and a
slow example is not a bug) and bounded counts. `FASIT_HYPOTHESIS_PROFILE=deep` searches twenty
times longer and at random, for a fuzzing session by hand; a failure found there is kept as an
`@example` of its test.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["examples", "load_profile"]

_SCALE = {"ci": 1, "deep": 20}


def load_profile() -> None:
    """Register both profiles and load the one FASIT_HYPOTHESIS_PROFILE names (`ci`)."""
    for name, scale in _SCALE.items():
        settings.register_profile(
            name,
            max_examples=100 * scale,
            derandomize=name == "ci",
            database=None,
            deadline=None,
            print_blob=True,
            suppress_health_check=[HealthCheck.too_slow],
        )
    settings.load_profile(os.environ.get("FASIT_HYPOTHESIS_PROFILE", "ci"))


def examples(count: int) -> int:
    """`count` examples under `ci`, scaled up under `deep`: each test knows its own cost (a gRPC
    round trip costs a hundred YAML parses), the profile how hard to search."""
    return count * settings().max_examples // 100

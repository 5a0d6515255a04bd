"""What every test shares: the Hypothesis profile (tests/fuzzing.py)."""

from __future__ import annotations

from tests.fuzzing import load_profile

load_profile()

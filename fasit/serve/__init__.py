"""Serve: the whole loop in one process (`fasit serve`): wiring, not logic.

Imports every stage; no stage imports it.
"""

from fasit.memory import ServeMemory, frozen_objects
from fasit.serve.config import ServeConfig
from fasit.serve.controller import Controller
from fasit.serve.desired import DesiredState
from fasit.serve.fake_fleet import FakeFleet

__all__ = [
    "Controller",
    "DesiredState",
    "FakeFleet",
    "ServeConfig",
    "ServeMemory",
    "frozen_objects",
]

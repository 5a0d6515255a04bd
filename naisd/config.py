"""The agent's timings and bounds (`AgentConfig`), and the gRPC channel options they make.

Production's values are the defaults; tests shorten them. `Agent` (agent.py) reads them; split
from agent.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from fasit_proto.agent.v1 import MAX_MESSAGE_BYTES

__all__ = ["AgentConfig"]


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """Timings and bounds; the defaults are production's, tests shorten them."""

    heartbeat_interval: float = 10.0
    """Until the controller's Welcome says otherwise."""
    inventory_interval: float = 300.0
    """A full inventory this often, and after every result."""
    backoff_initial: float = 0.5
    backoff_maximum: float = 30.0
    queue_capacity: int = 64
    """Instructions waiting to run; more are not acknowledged (the controller sends them again)."""
    outgoing_capacity: int = 1024
    """Messages waiting for the stream; more are dropped (results stay unconfirmed and are sent
    again after the next reconnect)."""
    offline_log_lines: int = 500
    """Progress lines kept while disconnected, sent after the reconnect (beyond: the oldest go).
    Below outgoing_capacity, so a reconnect can send them all at once."""
    work_stop_timeout: float = 5.0
    """On stop: how long the running work may take to stop (helm is killed well before)."""
    flush_timeout: float = 3.0
    """On stop: how long to wait for the controller to confirm the last results."""
    max_message_bytes: int = MAX_MESSAGE_BYTES

    def channel_options(self) -> list[tuple[str, int]]:
        """Keepalive pings every 20 s (the hub permits one per 10 s) and message size limits."""
        return [
            ("grpc.keepalive_time_ms", 20_000),
            ("grpc.keepalive_timeout_ms", 10_000),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_pings_without_data", 0),
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", self.max_message_bytes),
            # Reconnecting is ours (with backoff and a fresh Hello), not the channel's.
            ("grpc.enable_retries", 0),
        ]

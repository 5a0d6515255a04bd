"""How the hub listens: address, TLS, keepalive, and every bound that keeps memory flat."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import grpc

from fasit.agents.contest import ContestPolicy
from fasit_proto.agent.v1 import MAX_MESSAGE_BYTES

__all__ = ["HubConfig", "TlsConfig"]


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """Serve TLS with this certificate; with `client_ca`, agents must present a certificate it
    signed (mutual TLS), on top of their token."""

    cert: Path
    key: Path
    client_ca: Path | None = None

    def credentials(self) -> grpc.ServerCredentials:
        try:
            pair = (self.key.read_bytes(), self.cert.read_bytes())
            client_ca = self.client_ca.read_bytes() if self.client_ca else None
        except OSError as exc:
            raise ValueError(f"TLS file {exc.filename}: {exc.strerror}") from exc
        return grpc.ssl_server_credentials(
            [pair], root_certificates=client_ca, require_client_auth=client_ca is not None
        )


@dataclass(frozen=True, slots=True)
class HubConfig:
    """Defaults suit a fleet of a few thousand agents on one controller."""

    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free port; `AgentHub.port` tells which."""
    tls: TlsConfig | None = None
    """None: plaintext gRPC (put TLS in front, or set this)."""
    outbox_capacity: int = 16
    """Unsent instructions per session; `send` answers OUTBOX_FULL beyond (see Delivery)."""
    control_capacity: int = 256
    """Unsent receipts and pings per session; past it the oldest receipt is dropped."""
    events_capacity: int = 10_000
    """Events waiting for the consumer of `events()`; when full, sessions wait to read more."""
    result_memory: int = 1_024
    """Result ids remembered per environment, to pass each id to the consumer once."""
    max_message_bytes: int = MAX_MESSAGE_BYTES
    hello_timeout: float = 10.0
    """Seconds from the stream opening to its Hello; then the stream is ended."""
    heartbeat_interval: float = 10.0
    """Told to agents in Welcome; at most a third of `agent_timeout` (see `heartbeat_every`)."""
    agent_timeout: float = 30.0
    """Seconds an agent may send nothing before its session is ended: a hung agent then shows
    OFFLINE instead of connected for ever."""
    ping_interval: float = 30.0
    """A Ping goes to an agent whose stream has been idle this long."""
    token_poll_interval: float = 2.0
    """How often the token file is checked; sessions of revoked tokens are ended."""
    stop_grace: float = 5.0
    contest: ContestPolicy = field(default_factory=ContestPolicy)
    """When two agents with one token keep swapping the session, and how the stray backs off."""

    def __post_init__(self) -> None:
        for name in ("outbox_capacity", "control_capacity", "events_capacity", "result_memory"):
            if getattr(self, name) < 1:
                raise ValueError(f"HubConfig.{name} must be at least 1, got {getattr(self, name)}")
        if self.agent_timeout <= 0:
            raise ValueError(f"HubConfig.agent_timeout must be positive, got {self.agent_timeout}")

    @property
    def heartbeat_every(self) -> float:
        """The heartbeat interval agents are told: three beats fit in the agent timeout, so one
        lost heartbeat never ends a session."""
        return min(self.heartbeat_interval, self.agent_timeout / 3)

    def server_options(self) -> list[tuple[str, int]]:
        """Keepalive (the server pings idle agents, and permits their pings every 10 s or slower:
        agents ping every 20 s) and message size limits."""
        return [
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_timeout_ms", 10_000),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
            ("grpc.http2.max_pings_without_data", 0),
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", self.max_message_bytes),
            # A port already taken must fail here, not be shared with another server.
            ("grpc.so_reuseport", 0),
        ]

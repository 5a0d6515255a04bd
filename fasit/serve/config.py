"""The settings of `fasit serve`, checked when made: `ServeConfig` and the rules between its
fields (one source; tokens or fake agents; authentication on a non-loopback address).

The command line builds one from its flags (`fasit.cli`); tests and benchmarks build one
directly. `Controller` only reads it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from fasit.github import DEFAULT_API_URL
from fasit.notify import NotifyConfig
from fasit.plan import ServerValues
from fasit.reconcile import ReconcileConfig
from fasit.serve.http_guard import HEADER_TIMEOUT
from fasit.sources import GitSourceConfig
from fasit.web import OidcSettings

__all__ = ["ServeConfig", "is_loopback"]


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """Where the state comes from and where the controller listens; see docs/configuration.md."""

    status_db: Path
    """The SQLite status file; beside it the git cache and fake agents' tokens."""
    status_url: str | None = None
    """A PostgreSQL status store instead of the SQLite file, when given."""
    server_values: ServerValues | None = None
    """What templates read as `fasit.KEY`; None: the placeholder `<fasit:KEY>`."""
    state_dir: Path | None = None
    git: GitSourceConfig | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 9090
    agent_tokens: Path | None = None
    """The token file (required unless fake agents bring their own)."""
    secrets_dir: Path | None = None
    fake_agents: bool = False
    webhook_secret: str = field(default="", repr=False)
    """Enables POST /api/v1/hooks/git, signed with it (X-Hub-Signature-256)."""
    charts_url: str = ""
    """Where agents reach this server for in-repo charts (default: http://HTTP-ADDR)."""
    reconcile: ReconcileConfig = field(default_factory=ReconcileConfig)
    http_connections: int = 1024
    """HTTP connections at once; more are answered 503 and closed (see `http_guard`)."""
    header_timeout: float = HEADER_TIMEOUT
    """Seconds a web client has to send its request headers."""
    agent_timeout: float = 30.0
    """Seconds an agent may send nothing before its session is ended (it shows OFFLINE)."""
    external_url: str = ""
    """The dashboard's public URL: the root of links sent out (notifications, commit statuses;
    "" for none)."""
    lease_ttl: float = 15.0
    """Seconds a replica's leases last unrenewed (PostgreSQL only; renewed every third)."""
    advertise_addr: str = ""
    """host:port other replicas send this one's agents to (default: the gRPC address)."""
    advertise_http_addr: str = ""
    """host:port of this replica's web app as /api/v1/replicas lists it (default: the HTTP
    address)."""
    github_status_token: str = field(default="", repr=False)
    """Set GitHub commit statuses with it (a github-hosted git source only)."""
    github_api_url: str = DEFAULT_API_URL
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    api_tokens: Path | None = None
    """The API token file: with it, every page and API call needs a token, and each token sees
    only its tenants' environments (docs/access.md)."""
    metrics_addr: tuple[str, int] | None = None
    """Serve /metrics on its own listener (no authentication) instead of the main one."""
    open_dashboard: bool = False
    """Serve the dashboard without authentication on a non-loopback address all the same."""
    oidc: OidcSettings | None = None
    """OpenID Connect sign-in for people; with it, `access` maps them to tenants."""
    access: Path | None = None
    """The access file: OpenID Connect groups and emails → tenants (docs/access.md)."""
    session_key: bytes | None = field(default=None, repr=False)
    """The key session cookies are signed with; None: one drawn for this process."""
    tls: tuple[Path, Path] | None = None
    """The HTTP listener's certificate chain and key files: it then speaks HTTPS only."""

    def __post_init__(self) -> None:
        authenticated = self.api_tokens is not None or self.oidc is not None
        if not authenticated and not self.open_dashboard and not is_loopback(self.http_host):
            raise ValueError(
                f"--http-addr {self.http_host}:{self.http_port} is not a loopback address and no"
                " authentication is configured: give --api-tokens FILE or --oidc-issuer URL, or"
                " --insecure-open-dashboard to show every tenant's fleet to anyone who reaches it"
            )
        if (self.oidc is None) != (self.access is None):
            raise ValueError(
                "--oidc-issuer and --access go together: sign-in says who someone is, the"
                " access file which tenants they see"
            )
        for flag, url in (
            ("--external-url", self.external_url),
            ("--github-api-url", self.github_api_url),
        ):
            if url and not url.startswith(("http://", "https://")):
                raise ValueError(f"{flag} {url!r}: expected an http:// or https:// URL")
        if (self.state_dir is None) == (self.git is None):
            raise ValueError("serve needs exactly one source: a state directory or a git URL")
        if self.agent_tokens is None and not self.fake_agents:
            raise ValueError("serve needs --agent-tokens (or --fake-agents)")
        if self.agent_tokens is not None and self.fake_agents:
            raise ValueError("--fake-agents brings its own tokens: leave out --agent-tokens")

    @property
    def http_url(self) -> str:
        """The HTTP listener's own URL (https with TLS)."""
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.http_host}:{self.http_port}"

    @property
    def public_url(self) -> str:
        """Where browsers reach the dashboard: `external_url`, else the listener's URL."""
        return (self.external_url or self.http_url).rstrip("/")


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or `localhost`) only listens to this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything

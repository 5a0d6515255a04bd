"""`fasit serve`'s parsed flags → a `ServeConfig`: each flag checked and each file read now, so
a bad one stops serve at start (exit 2, naming the flag), never later in a running server.

With neither --state-dir nor --git it is the demo: example-state-repo/ with fake agents and the
secrets of example-secrets/, from the source checkout.
"""

from __future__ import annotations

import argparse
import ssl
from pathlib import Path

from fasit.cli._planning import server_values_for
from fasit.cli._serve_flags import repeated_values
from fasit.errors import CouldNotRun
from fasit.notify import (
    EventSeverity,
    NotifyConfig,
    SinkConfig,
    SinkKind,
    parse_external_url,
    parse_route,
    parse_severity,
    parse_sink_url,
)
from fasit.reconcile import is_postgres_url
from fasit.reconcile.postgres_store import shown_postgres_url
from fasit.serve import ServeConfig
from fasit.serve.http_guard import connection_cap, raise_open_file_limit
from fasit.sources import GitAuth, GitLocation, GitSourceConfig
from fasit.web import CALLBACK_PATH, MIN_KEY_BYTES, SIGNED_OUT_PATH, OidcSettings

__all__ = ["DEMO_SECRETS", "DEMO_STATE", "serve_config"]

_CHECKOUT = Path(__file__).resolve().parents[2]
DEMO_STATE = _CHECKOUT / "example-state-repo"
DEMO_SECRETS = _CHECKOUT / "example-secrets"


def serve_config(args: argparse.Namespace) -> ServeConfig:
    """The config the flags describe; CouldNotRun (exit 2) naming the first bad one."""
    demo = args.state_dir is None and args.git is None
    if demo and not DEMO_STATE.is_dir():
        raise CouldNotRun(
            f"no --state-dir or --git given, and the demo's state ({DEMO_STATE}) is not here:"
            " it ships with the source checkout, not with the package"
        )
    state_dir = DEMO_STATE if demo else args.state_dir
    http_host, http_port = _address(args.http_addr, "--http-addr")
    grpc_host, grpc_port = _address(args.grpc_addr, "--grpc-addr")
    status_db, status_url = _status_store(args.status_db)
    status_db.parent.mkdir(parents=True, exist_ok=True)
    git = None
    if args.git is not None:
        git = GitSourceConfig(
            GitLocation(args.git, args.ref, args.directory),
            args.git_cache or status_db.with_name("git-cache"),
            _git_auth(args),
            poll_interval=args.poll_interval,
            timeout=args.git_timeout,
        )
    try:
        return ServeConfig(
            status_db=status_db,
            status_url=status_url,
            state_dir=state_dir,
            git=git,
            http_host=http_host,
            http_port=http_port,
            grpc_host=grpc_host,
            grpc_port=grpc_port,
            agent_tokens=args.agent_tokens,
            secrets_dir=args.secrets_dir or (DEMO_SECRETS if demo else None),
            server_values=server_values_for(args),
            fake_agents=args.fake_agents or demo,
            charts_url=args.charts_url,
            webhook_secret=args.webhook_secret,
            http_connections=connection_cap(raise_open_file_limit()),
            header_timeout=args.http_header_timeout,
            agent_timeout=args.agent_timeout,
            lease_ttl=args.lease_ttl,
            advertise_addr=_advertised(args.advertise_addr, "--advertise-addr"),
            advertise_http_addr=_advertised(args.advertise_http_addr, "--advertise-http-addr"),
            external_url=parse_external_url(args.external_url),
            github_status_token=_read_secret(
                args.github_status_token_file, "--github-status-token-file"
            ),
            github_api_url=args.github_api_url,
            notify=_notify(args),
            api_tokens=args.api_tokens,
            metrics_addr=None
            if args.metrics_addr is None
            else _address(args.metrics_addr, "--metrics-addr"),
            open_dashboard=args.insecure_open_dashboard,
            oidc=_oidc(args, http_host, http_port),
            access=args.access,
            session_key=_session_key(args.session_key_file),
            tls=_tls(args.tls_cert, args.tls_key),
        )
    except ValueError as exc:
        raise CouldNotRun(str(exc)) from None


def _oidc(args: argparse.Namespace, http_host: str, http_port: int) -> OidcSettings | None:
    """The sign-in settings, or None without --oidc-issuer; CouldNotRun naming what is wrong."""
    if args.oidc_issuer is None:
        for flag, value in (
            ("--oidc-client-id", args.oidc_client_id),
            ("--oidc-client-secret-file", args.oidc_client_secret_file),
            ("--oidc-sign-out-at-provider", args.oidc_sign_out_at_provider),
        ):
            if value:
                raise CouldNotRun(f"{flag} is given without --oidc-issuer")
        return None
    issuer = args.oidc_issuer
    if not issuer.startswith(("https://", "http://")):
        raise CouldNotRun(f"--oidc-issuer {issuer!r}: expected an https:// URL")
    if not args.oidc_client_id:
        raise CouldNotRun("--oidc-issuer needs --oidc-client-id (this dashboard at the provider)")
    scheme = "https" if args.tls_cert is not None else "http"
    public = (args.external_url or f"{scheme}://{http_host}:{http_port}").rstrip("/")
    return OidcSettings(
        issuer=issuer,
        client_id=args.oidc_client_id,
        redirect_uri=public + CALLBACK_PATH,
        client_secret=_read_secret(args.oidc_client_secret_file, "--oidc-client-secret-file"),
        post_logout_redirect_uri=public + SIGNED_OUT_PATH if args.oidc_sign_out_at_provider else "",
    )


def _session_key(path: Path | None) -> bytes | None:
    if path is None:
        return None
    key = _read_secret(path, "--session-key-file").encode()
    if len(key) < MIN_KEY_BYTES:
        raise CouldNotRun(
            f"--session-key-file {path}: {len(key)} bytes; a session key has {MIN_KEY_BYTES}"
            " or more (head -c 48 /dev/urandom | base64 makes one)"
        )
    return key


def _tls(cert: Path | None, key: Path | None) -> tuple[Path, Path] | None:
    """The listener's certificate and key, checked now (a bad pair stops serve at start)."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise CouldNotRun("--tls-cert and --tls-key go together")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise CouldNotRun(
            f"--tls-cert {cert} --tls-key {key}: cannot be used ({exc.strerror or exc})"
        ) from None
    return cert, key


def _status_store(given: str | None) -> tuple[Path, str | None]:
    """The SQLite file (with PostgreSQL, the directory beside it still holds the git cache and
    fake agents' tokens) and the PostgreSQL URL, if one is given. A URL is never a path."""
    default = Path(".fasit") / "status.db"
    if given is None:
        return default, None
    if is_postgres_url(given):
        return default, given
    if "://" in given:
        raise CouldNotRun(
            f"--status-db {shown_postgres_url(given)}: a URL fasit cannot store status in;"
            " give a SQLite file path or a postgresql:// URL"
        )
    return Path(given), None


def _notify(args: argparse.Namespace) -> NotifyConfig:
    """The sinks of the --notify-* flags; ValueError (exit 2) naming a bad one."""
    sinks = [
        SinkConfig(f"webhook-{n}", SinkKind.WEBHOOK, parse_sink_url(url, "--notify-webhook"))
        for n, url in enumerate(repeated_values(args.notify_webhook, "--notify-webhook"), 1)
    ]
    if args.notify_slack:
        sinks.append(
            SinkConfig("slack", SinkKind.SLACK, parse_sink_url(args.notify_slack, "--notify-slack"))
        )
    routes = repeated_values(args.notify_route, "--notify-route")
    sinks += [parse_route(text, f"route-{n}") for n, text in enumerate(routes, 1)]
    secret = _read_secret(args.notify_secret_file, "--notify-secret-file")
    if args.notify_secret_file is not None and not secret:
        raise ValueError(f"--notify-secret-file {args.notify_secret_file}: the file is empty")
    severity: EventSeverity = parse_severity(args.notify_min_severity)
    return NotifyConfig(tuple(sinks), secret.encode(), severity)


def _git_auth(args: argparse.Namespace) -> GitAuth:
    return GitAuth(
        username=args.git_username,
        password=_read_secret(args.git_password_file, "--git-password-file"),
        bearer_token=_read_secret(args.git_token_file, "--git-token-file"),
        ssh_key_file=args.git_ssh_key,
        known_hosts_file=args.git_known_hosts,
        ca_bundle=args.git_ca_bundle,
    )


def _read_secret(path: Path | None, flag: str) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CouldNotRun(f"{flag} {path}: {exc.strerror}") from None


def _advertised(text: str, flag: str) -> str:
    """An address others dial, as given ("" for the default); exit 2 unless HOST:PORT."""
    if text:
        _address(text, flag)
    return text


def _address(text: str, flag: str) -> tuple[str, int]:
    host, separator, port = text.rpartition(":")
    if not separator or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CouldNotRun(f"{flag} {text!r}: expected HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)

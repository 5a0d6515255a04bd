"""`fasit serve`: the controller, the agent hub and the read-only web app in one process.

With no arguments it serves example-state-repo/ with in-process fake agents and the demo
secrets of example-secrets/ (`make demo`). Every flag can also be set as FASIT_<FLAG> (a
repeatable flag's variable takes a comma-separated list); see docs/configuration.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import ssl
from collections.abc import Callable
from pathlib import Path

from fasit.cli._charts import add_chart_options, oci_charts
from fasit.cli._common import add_template_value_options, seconds, server_values_for
from fasit.cli._logs import configure_logging
from fasit.errors import CouldNotRun
from fasit.github import DEFAULT_API_URL
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
from fasit.reconcile import StoreError, is_postgres_url
from fasit.reconcile.postgres_store import shown_postgres_url
from fasit.serve import Controller, ServeConfig, ServeMemory
from fasit.serve.http_guard import HEADER_TIMEOUT, connection_cap, raise_open_file_limit
from fasit.sources import DEFAULT_GIT_TIMEOUT, GitAuth, GitLocation, GitSourceConfig
from fasit.web import CALLBACK_PATH, MIN_KEY_BYTES, OidcSettings

__all__ = ["add_serve"]

logger = logging.getLogger("fasit.serve")

_CHECKOUT = Path(__file__).resolve().parents[2]
DEMO_STATE = _CHECKOUT / "example-state-repo"
DEMO_SECRETS = _CHECKOUT / "example-secrets"
STOP_WITHIN = 10.0


def add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the controller: source, planner, reconciler, agent hub, web UI and API",
        description="Run the controller. With no source it serves example-state-repo/ with"
        " fake agents (a demo). Every flag is also FASIT_<FLAG> in the environment.",
    )
    source = serve.add_argument_group("the state (one of)")
    _flag(source, "--state-dir", "follow this directory (watched)", Path, metavar="PATH")
    _flag(source, "--git", "follow this git remote (polled)", metavar="URL")
    _flag(source, "--ref", "branch, tag, full ref or commit (default: HEAD)", default="HEAD")
    _flag(source, "--directory", "the state root inside the repository", default="")
    _flag(source, "--poll-interval", "seconds between polls (default: 5)", float, default=5.0)
    _flag(source, "--git-cache", "the bare cache repository (default: beside --status-db)", Path)
    _flag(
        source,
        "--git-timeout",
        f"seconds one git network operation may take in all (default: {DEFAULT_GIT_TIMEOUT:g})",
        seconds,
        default=DEFAULT_GIT_TIMEOUT,
        metavar="SECONDS",
    )
    auth = serve.add_argument_group("git authentication")
    _flag(auth, "--git-username", "HTTP(S) user name", default="")
    _flag(auth, "--git-password-file", "HTTP(S) password (or token as password), from a file", Path)
    _flag(auth, "--git-token-file", "HTTP(S) bearer token, from a file", Path)
    _flag(auth, "--git-ssh-key", "SSH private key", Path)
    _flag(auth, "--git-known-hosts", "SSH host keys to trust", Path)
    _flag(auth, "--git-ca-bundle", "PEM file of CAs for HTTPS", Path)
    listen = serve.add_argument_group("listening")
    _flag(
        listen, "--http-addr", "web UI and API (default: 127.0.0.1:8080)", default="127.0.0.1:8080"
    )
    _flag(listen, "--grpc-addr", "agent hub (default: 127.0.0.1:9090)", default="127.0.0.1:9090")
    _flag(
        listen,
        "--advertise-addr",
        "where other replicas send this one's agents (default: --grpc-addr); replicas share a"
        " fleet only with a postgresql:// --status-db",
        default="",
        metavar="HOST:PORT",
    )
    _flag(
        listen,
        "--advertise-http-addr",
        "this replica's web address as GET /api/v1/replicas lists it (default: --http-addr)",
        default="",
        metavar="HOST:PORT",
    )
    _flag(
        listen,
        "--http-header-timeout",
        f"seconds a web client has to send its request headers (default: {HEADER_TIMEOUT:g})",
        seconds,
        default=HEADER_TIMEOUT,
        metavar="SECONDS",
    )
    _flag(
        listen,
        "--charts-url",
        "where agents reach this server for in-repo charts (default: http://HTTP-ADDR)",
        default="",
        metavar="URL",
    )
    access = serve.add_argument_group(
        "access", "Who may read the dashboard and API, and what each sees; see docs/access.md."
    )
    _flag(
        access,
        "--api-tokens",
        'API token hashes with the tenants each sees (NAME: {hash: "sha256:<hex>", tenants:'
        " [nav]}); every request then needs Authorization: Bearer TOKEN; reloaded on change",
        Path,
        metavar="FILE",
    )
    access.add_argument(
        "--insecure-open-dashboard",
        action="store_true",
        default=os.environ.get("FASIT_INSECURE_OPEN_DASHBOARD", "") in ("1", "true"),
        help="without --api-tokens, listen on a non-loopback --http-addr all the same: anyone"
        " who reaches it sees every tenant's fleet",
    )
    _flag(
        access,
        "--metrics-addr",
        "serve /metrics on its own listener, without authentication, instead of the main one"
        " (where, with --api-tokens, it needs a fleet admin's token)",
        metavar="HOST:PORT",
    )
    _flag(
        access,
        "--oidc-issuer",
        "sign people in with this OpenID Connect provider (its issuer URL, exactly); needs"
        " --oidc-client-id and --access",
        metavar="URL",
    )
    _flag(access, "--oidc-client-id", "this dashboard's client id at the provider", default="")
    _flag(
        access,
        "--oidc-client-secret-file",
        "the client secret, from a file (without it: a public client, PKCE alone)",
        Path,
        metavar="PATH",
    )
    _flag(
        access,
        "--access",
        "which tenants signed-in people see: groups: {GROUP: [nav]} and emails: {EMAIL:"
        ' ["*"]}; reloaded on change',
        Path,
        metavar="FILE",
    )
    _flag(
        access,
        "--session-key-file",
        "the key (32 bytes or more) session cookies are signed with; without it one is drawn"
        " per process, so a restart signs everyone out and replicas do not share sessions",
        Path,
        metavar="PATH",
    )
    _flag(
        listen, "--tls-cert", "serve HTTPS with this certificate chain (PEM)", Path, metavar="PATH"
    )
    _flag(listen, "--tls-key", "the private key of --tls-cert (PEM)", Path, metavar="PATH")
    run = serve.add_argument_group("running")
    _flag(
        run,
        "--agent-tokens",
        'agents\' token hashes (tenant/env: "sha256:<hex>"), reloaded on change',
        Path,
        metavar="FILE",
    )
    _flag(run, "--secrets-dir", "secrets as files: secretRef NAME is DIR/NAME", Path, metavar="DIR")
    add_template_value_options(run)
    _flag(
        run,
        "--status-db",
        "the status store: a SQLite file (default: .fasit/status.db), or a postgresql:// URL"
        " that replicas share (password from PGPASSFILE or PGPASSWORD)",
        metavar="PATH|URL",
    )
    _flag(
        run,
        "--lease-ttl",
        "with a postgresql:// --status-db: seconds a replica's leases on environments last"
        " unrenewed (renewed every third of it); a replica that stops loses them to the others"
        " within it (default: 15)",
        seconds,
        default=15.0,
        metavar="SECONDS",
    )
    run.add_argument(
        "--fake-agents",
        action="store_true",
        default=os.environ.get("FASIT_FAKE_AGENTS", "") in ("1", "true"),
        help="run an in-process fake agent for every environment",
    )
    _flag(
        run,
        "--agent-timeout",
        "seconds an agent may send nothing before it counts as OFFLINE (default: 30); agents"
        " are told to heartbeat at a third of it or more often",
        seconds,
        default=30.0,
        metavar="SECONDS",
    )
    _flag(
        run,
        "--webhook-secret",
        "enable POST /api/v1/hooks/git, verified with this secret (X-Hub-Signature-256);"
        " prefer FASIT_WEBHOOK_SECRET, which other users cannot read in the process list",
        default="",
        metavar="SECRET",
    )
    links = serve.add_argument_group("links and commit statuses")
    _flag(
        links,
        "--external-url",
        "the dashboard's public URL (https://fasit.example.net), for links in notifications and"
        " commit statuses",
        default="",
        metavar="URL",
    )
    _flag(
        links,
        "--github-status-token-file",
        "set a GitHub commit status on each revision of a github-hosted --git remote, with"
        " the token in this file",
        Path,
        metavar="PATH",
    )
    _flag(
        links,
        "--github-api-url",
        f"the GitHub API (default: {DEFAULT_API_URL}; GitHub Enterprise: https://HOST/api/v3)",
        default=DEFAULT_API_URL,
        metavar="URL",
    )
    notify = serve.add_argument_group(
        "notifications",
        "Events (a release failed or recovered, a circuit opened or closed, a revision served"
        " or refused, an agent offline or back) sent as they happen; see"
        " docs/notifications.md.",
    )
    _repeated(notify, "--notify-webhook", "POST each event as signed JSON to URL", "URL")
    _flag(
        notify,
        "--notify-secret-file",
        "the key webhook bodies are signed with (X-Fasit-Signature-256), from a file",
        Path,
        metavar="PATH",
    )
    _flag(notify, "--notify-slack", "send each event to a Slack incoming webhook", metavar="URL")
    _flag(
        notify,
        "--notify-min-severity",
        "send only events at least this severe: info, warning or error (default: info)",
        default="info",
        metavar="LEVEL",
    )
    _repeated(
        notify,
        "--notify-route",
        "also send events about environments labelled LABEL=VALUE to a sink of their own"
        " (KIND: webhook or slack), e.g. tenant=acme=slack:https://hooks.slack.com/…",
        "LABEL=VALUE=KIND:URL",
    )
    run.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=os.environ.get("FASIT_LOG_FORMAT") or "text",
        help="text for people, json (one object per line) for log pipelines",
    )
    add_chart_options(serve)
    serve.set_defaults(command=_serve)


def _serve(args: argparse.Namespace) -> int:
    configure_logging(args.log_format, args.verbose)
    config = _config(args)
    controller = Controller(config, oci_charts(args), ServeMemory())
    try:
        asyncio.run(_run(controller))
    except (OSError, StoreError) as exc:  # a port in use, an unusable file: once, exit 2
        raise CouldNotRun(str(exc)) from None
    return 0


async def _run(controller: Controller) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    running = asyncio.create_task(controller.run(stop))
    await asyncio.wait([running, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED")
    if not running.done():
        try:
            await asyncio.wait_for(running, STOP_WITHIN)
        except TimeoutError:
            logger.error("did not stop within %.0f s; exiting anyway", STOP_WITHIN)
            return
    running.result()


def _config(args: argparse.Namespace) -> ServeConfig:
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
        for n, url in enumerate(_repeated_values(args.notify_webhook, "--notify-webhook"), 1)
    ]
    if args.notify_slack:
        sinks.append(
            SinkConfig("slack", SinkKind.SLACK, parse_sink_url(args.notify_slack, "--notify-slack"))
        )
    routes = _repeated_values(args.notify_route, "--notify-route")
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


def _repeated(group: argparse._ArgumentGroup, flag: str, help: str, metavar: str) -> None:
    """A repeatable flag; when it is not given, FASIT_<FLAG> (comma-separated) counts."""
    group.add_argument(
        flag,
        action="append",
        metavar=metavar,
        help=f"{help} (repeatable; or {_variable(flag)}, comma-separated)",
    )


def _repeated_values(given: list[str] | None, flag: str) -> list[str]:
    """The values of a `_repeated` flag: as given, else from its variable."""
    if given is not None:
        return given
    listed = os.environ.get(_variable(flag), "").split(",")
    return [item.strip() for item in listed if item.strip()]


def _variable(flag: str) -> str:
    return "FASIT_" + flag.removeprefix("--").replace("-", "_").upper()


def _flag(
    group: argparse._ArgumentGroup,
    flag: str,
    help: str,
    kind: Callable[[str], object] = str,
    *,
    default: object = None,
    metavar: str | None = None,
) -> None:
    """A flag whose default comes from FASIT_<FLAG> when that is set (then from `default`)."""
    given = os.environ.get(_variable(flag))
    group.add_argument(
        flag,
        type=kind,
        default=kind(given) if given else default,
        metavar=metavar or flag.removeprefix("--").replace("-", "_").upper(),
        help=help,
    )

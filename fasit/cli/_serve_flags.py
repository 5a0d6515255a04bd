"""The flags of `fasit serve`, by group, each also read from FASIT_<FLAG> when it is not given.

`fasit serve` (`_serve.py`) declares them through `add_serve_flags`; `_serve_config.py` turns
what was parsed into a `ServeConfig`, checking it. Here flags are only declared.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from fasit.cli._common import add_template_value_options, seconds
from fasit.options import DEFAULT_API_URL, DEFAULT_GIT_TIMEOUT, HEADER_TIMEOUT

__all__ = ["add_serve_flags", "repeated_values"]


def add_serve_flags(serve: argparse.ArgumentParser) -> None:
    """Every group of flags, in the order `--help` lists them (the usage line follows the order
    of declaration, so TLS and the log format come where they always have)."""
    _state_flags(serve)
    _git_auth_flags(serve)
    listen = _listening_flags(serve)
    _access_flags(serve)
    _tls_flags(listen)
    run = _running_flags(serve)
    _links_flags(serve)
    _notify_flags(serve)
    _log_format_flag(run)


def _state_flags(serve: argparse.ArgumentParser) -> None:
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


def _git_auth_flags(serve: argparse.ArgumentParser) -> None:
    auth = serve.add_argument_group("git authentication")
    _flag(auth, "--git-username", "HTTP(S) user name", default="")
    _flag(auth, "--git-password-file", "HTTP(S) password (or token as password), from a file", Path)
    _flag(auth, "--git-token-file", "HTTP(S) bearer token, from a file", Path)
    _flag(auth, "--git-ssh-key", "SSH private key", Path)
    _flag(auth, "--git-known-hosts", "SSH host keys to trust", Path)
    _flag(auth, "--git-ca-bundle", "PEM file of CAs for HTTPS", Path)


def _listening_flags(serve: argparse.ArgumentParser) -> argparse._ArgumentGroup:
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
    return listen


def _access_flags(serve: argparse.ArgumentParser) -> None:
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
    _switch(
        access,
        "--insecure-open-dashboard",
        "without --api-tokens, listen on a non-loopback --http-addr all the same: anyone"
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
    _switch(
        access,
        "--oidc-sign-out-at-provider",
        "signing out of the dashboard signs out at the provider too (its end_session_endpoint),"
        " which then sends the browser to /auth/signed-out: register that URL with the provider",
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


def _tls_flags(listen: argparse._ArgumentGroup) -> None:
    _flag(
        listen, "--tls-cert", "serve HTTPS with this certificate chain (PEM)", Path, metavar="PATH"
    )
    _flag(listen, "--tls-key", "the private key of --tls-cert (PEM)", Path, metavar="PATH")


def _running_flags(serve: argparse.ArgumentParser) -> argparse._ArgumentGroup:
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
    _switch(run, "--fake-agents", "run an in-process fake agent for every environment")
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
    return run


def _links_flags(serve: argparse.ArgumentParser) -> None:
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


def _notify_flags(serve: argparse.ArgumentParser) -> None:
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


def _log_format_flag(run: argparse._ArgumentGroup) -> None:
    run.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=os.environ.get("FASIT_LOG_FORMAT") or "text",
        help="text for people, json (one object per line) for log pipelines",
    )


def _repeated(group: argparse._ArgumentGroup, flag: str, help: str, metavar: str) -> None:
    """A repeatable flag; when it is not given, FASIT_<FLAG> (comma-separated) counts."""
    group.add_argument(
        flag,
        action="append",
        metavar=metavar,
        help=f"{help} (repeatable; or {_variable(flag)}, comma-separated)",
    )


def repeated_values(given: list[str] | None, flag: str) -> list[str]:
    """The values of a `_repeated` flag: as given, else from its variable."""
    if given is not None:
        return given
    listed = os.environ.get(_variable(flag), "").split(",")
    return [item.strip() for item in listed if item.strip()]


def _variable(flag: str) -> str:
    return "FASIT_" + flag.removeprefix("--").replace("-", "_").upper()


def _switch(group: argparse._ArgumentGroup, flag: str, help: str) -> None:
    """An on/off flag, on also when FASIT_<FLAG> is 1 or true."""
    on = os.environ.get(_variable(flag), "") in ("1", "true")
    group.add_argument(flag, action="store_true", default=on, help=help)


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

"""`fasit serve` in one asyncio process: source → snapshot store → charts and planner →
reconciler → agent hub, the web app beside them, and (on request) fake agents.

`Controller.run(stop)` starts everything, runs until `stop` is set, and then stops in reverse
order within a bounded time: the web server, the fake agents, the source and planner, the
reconciler (which writes what its store has queued), and last the hub.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from fasit.agents import AgentHub, HubConfig, TokenFile
from fasit.charts import ChartArchives, OciCharts, ResolvedChart
from fasit.github import (
    DEFAULT_API_URL,
    CommitStatuses,
    StatusClient,
    api_host,
    github_repository,
)
from fasit.notify import Dispatcher, Links, NotificationMetrics, NotifyConfig, Observer, shown_url
from fasit.plan import Plan, Planner, SecretsDirectory, ServerValues
from fasit.reconcile import (
    ChartLocator,
    ChartNotPublished,
    ChartReference,
    PostgresStatusStore,
    ReconcileConfig,
    Reconciler,
    SqliteStatusStore,
)
from fasit.serve.desired import DesiredState
from fasit.serve.fake_fleet import FakeFleet
from fasit.serve.http_guard import HEADER_TIMEOUT, GuardedH11Protocol
from fasit.serve.memory import ServeMemory
from fasit.serve.replicas import Replicas
from fasit.sources import GitSource, GitSourceConfig, LocalSource
from fasit.state import SnapshotBuilder, SnapshotStore
from fasit.web import (
    AccessFile,
    ApiTokens,
    Authenticator,
    BearerTokens,
    CookiePolicy,
    FasitMetrics,
    LiveUpdates,
    OidcSettings,
    OpenIdProvider,
    ReadSide,
    Scopes,
    SignIn,
    chart_route,
    create_app,
    new_session_key,
    webhook_route,
)

__all__ = ["Controller", "ServeConfig", "is_loopback"]

logger = logging.getLogger(__name__)


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


class Controller:
    """Everything `fasit serve` runs; `ready` is set once it listens.

    With a `memory` policy (the command's), the collector follows it; without one (tests and
    benchmarks in a process of their own) it is left alone.
    """

    def __init__(
        self, config: ServeConfig, oci: OciCharts | None = None, memory: ServeMemory | None = None
    ) -> None:
        self.config = config
        self._oci = oci
        self.memory = memory
        self.archives = ChartArchives(config.charts_url or config.http_url)
        self._desired: DesiredState | None = None
        self.snapshots = SnapshotStore()
        self.hub: AgentHub | None = None
        self.reconciler: Reconciler | None = None
        self.fake_fleet: FakeFleet | None = None
        self.observer: Observer | None = None
        self.replicas = (
            None
            if config.status_url is None
            else Replicas(
                config.lease_ttl,
                config.advertise_addr,
                config.advertise_http_addr or f"{config.http_host}:{config.http_port}",
            )
        )
        """This replica among others, when they share a PostgreSQL store."""
        self.ready = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        config = self.config
        if config.agent_tokens is not None:
            tokens = TokenFile(config.agent_tokens)
        else:  # fake agents: their tokens, written as the state names environments
            fake_tokens = config.status_db.with_name("fake-agent-tokens.yaml")
            self.fake_fleet = FakeFleet("", fake_tokens)
            self.fake_fleet.ensure(())  # the token file the hub reads, empty until a plan
            tokens = TokenFile(fake_tokens)
        hub = self.hub = AgentHub(
            tokens,
            HubConfig(
                host=config.grpc_host, port=config.grpc_port, agent_timeout=config.agent_timeout
            ),
            placement=None if self.replicas is None else self.replicas.placement,
        )
        if self.memory is not None:
            self.memory.start()
        try:
            try:
                await self._run(hub, tokens, stop)
            finally:
                await hub.stop()
        finally:
            if self.memory is not None:
                self.memory.stop()

    async def _start_hub(self, hub: AgentHub) -> None:
        await hub.start()
        if self.fake_fleet is not None:
            self.fake_fleet.target = hub.address

    async def _run(self, hub: AgentHub, tokens: TokenFile, stop: asyncio.Event) -> None:
        config = self.config
        store: SqliteStatusStore | PostgresStatusStore = (
            PostgresStatusStore(config.status_url)
            if config.status_url is not None
            else SqliteStatusStore(config.status_db)
        )
        reconciler = self.reconciler = Reconciler(
            hub, store, ChartLocator(self._publish), config.reconcile
        )
        leases = None
        if self.replicas is not None and isinstance(store, PostgresStatusStore):
            await self._start_hub(hub)  # a replica advertises the address it listens on
            leases = self.replicas.start(store, hub, reconciler, self._planned_environments)
        # The store's in-flight ids reach the hub before any agent can: an agent reconnecting
        # at once would otherwise have the result and log lines it kept while the controller
        # was down dropped as "not sent here" (docs/agent-protocol.md). Replicas take each
        # environment back as they come to own it (Reconciler.share), not here.
        await reconciler.open()
        if leases is None:
            await self._start_hub(hub)
        planner = Planner(
            SecretsDirectory(config.secrets_dir) if config.secrets_dir else None,
            server_values=config.server_values,
        )
        desired = self._desired = DesiredState(self.snapshots, planner, self._planned, self._oci)
        builder = SnapshotBuilder()
        source: LocalSource | GitSource = (
            LocalSource(config.state_dir, builder, self.snapshots)
            if config.state_dir is not None
            else GitSource(_required(config.git), builder, self.snapshots)
        )
        hooks = (
            [webhook_route(config.webhook_secret.encode(), source.refresh)]
            if config.webhook_secret
            else []
        )
        read = ReadSide(
            self.snapshots,
            reconciler,
            lambda: len(hub.connected()),
            planned=lambda: desired.planned,
            plan_changes=lambda: desired.history.entries,
            history=store,
            agent_messages_dropped=hub.dropped,
            status_writes_dropped=lambda: store.dropped,
            decided_revision=lambda: reconciler.decided_revision,
            rollouts=reconciler.rollouts,
            replicas=lambda: None if self.replicas is None else self.replicas.ownership(),
        )
        metrics = FasitMetrics(read)
        scopes = Scopes(read)
        live = LiveUpdates(lambda viewer: scopes.of(viewer).shown_state())
        self.snapshots.listen(metrics.observe_offer)
        self.snapshots.listen(lambda snapshot, record: live.notify())
        reconciler.on_pass(metrics.observe_pass)
        reconciler.on_pass(lambda report: live.notify())
        reconciler.on_deploy(metrics.observe_deploy)
        if self.memory is not None:
            memory = self.memory
            reconciler.on_pass(lambda report: memory.passed())
        statuses = self._commit_statuses(read)
        if statuses is not None:  # a pass only sets its event: GitHub never holds a pass up
            # Replicas: the elected one alone posts (it shows the whole fleet, docs/ha.md).
            reconciler.on_pass(lambda report: statuses.wake() if self.is_leader() else None)
            self.snapshots.listen(
                lambda snapshot, record: statuses.wake() if self.is_leader() else None
            )
        notifications = self._notifications(reconciler, metrics)
        authenticators: list[Authenticator] = []
        if config.api_tokens is not None:
            authenticators.append(BearerTokens(ApiTokens(config.api_tokens)))
        own_metrics = config.metrics_addr is not None
        app = create_app(
            read,
            [chart_route(self.archives, tokens), *([] if own_metrics else [metrics.route()])],
            hooks,
            live=live,
            authenticators=authenticators,
            scopes=scopes,
            sign_in=self._sign_in(),
        )
        web = self._server(app, config.tls)
        # Bound here, not by uvicorn: a port in use is an OSError for the caller to report,
        # where uvicorn would end the process with SystemExit from inside a task.
        listening = _bind(config.http_host, config.http_port, "--http-addr")
        metrics_web = None
        if config.metrics_addr is not None:
            host, port = config.metrics_addr
            metrics_listening = _bind(host, port, "--metrics-addr")
            metrics_web = self._server(Starlette(routes=[metrics.route()]))
        # Stopped by cancelling; the reconciler, the web server and the notifications (which
        # drain what is queued) stop by themselves below.
        helpers = [
            asyncio.create_task(desired.run(), name="desired-state"),
            asyncio.create_task(source.run(), name="source"),
            asyncio.create_task(live.run(), name="live-updates"),
            asyncio.create_task(metrics.measure_loop_lag(), name="loop-lag"),
        ]
        if statuses is not None:
            helpers.append(asyncio.create_task(statuses.run(), name="commit-statuses"))
        if leases is not None:
            helpers.append(asyncio.create_task(leases.run(), name="leases"))
        serving = asyncio.create_task(web.serve(sockets=[listening]), name="web")
        tasks = [asyncio.create_task(reconciler.run(), name="reconciler"), *helpers, serving]
        if metrics_web is not None:
            metrics_serving = asyncio.create_task(
                metrics_web.serve(sockets=[metrics_listening]), name="metrics"
            )
            tasks.append(metrics_serving)
        if notifications is not None:
            tasks.append(asyncio.create_task(notifications.run(), name="notifications"))
        await self._listening(web, serving)
        if metrics_web is not None:
            await self._listening(metrics_web, metrics_serving)
        self.ready.set()
        logger.info("fasit serve: %s, agents on %s", config.http_url, hub.address)
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait([stopped, *tasks], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        failed = [task for task in tasks if task.done() and task.exception() is not None]
        live.close()  # open event streams would hold the web server's shutdown
        if self.observer is not None:
            self.observer.close()  # agents leaving at shutdown are not news
        web.should_exit = True
        if metrics_web is not None:
            metrics_web.should_exit = True
        if self.fake_fleet is not None:
            await self.fake_fleet.stop()
        for task in helpers:
            task.cancel()
        await reconciler.stop()
        if notifications is not None:
            await notifications.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        if failed:
            raise RuntimeError(f"{failed[0].get_name()} failed") from failed[0].exception()

    def is_leader(self) -> bool:
        """Whether this replica does the fleet's once-only work (always, alone on SQLite)."""
        return self.replicas is None or self.replicas.is_leader()

    def _planned_environments(self) -> list[str]:
        planned = None if self._desired is None else self._desired.planned
        return [] if planned is None else list(planned[1].environments)

    def _server(self, app: ASGIApp, tls: tuple[Path, Path] | None = None) -> uvicorn.Server:
        config = self.config
        return uvicorn.Server(
            uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=5,
                http=GuardedH11Protocol.guarded(config.http_connections, config.header_timeout),
                ssl_certfile=None if tls is None else tls[0],
                ssl_keyfile=None if tls is None else tls[1],
            )
        )

    def _sign_in(self) -> SignIn | None:
        """OpenID Connect sign-in, when an issuer is configured."""
        config = self.config
        if config.oidc is None or config.access is None:
            return None
        if config.session_key is None:
            logger.info("session cookies are signed with a key drawn now: a restart signs out")
        plain_loopback = config.public_url.startswith("http://") and is_loopback(
            urlsplit(config.public_url).hostname or ""
        )
        return SignIn(
            OpenIdProvider(config.oidc),
            AccessFile(config.access),
            config.session_key or new_session_key(),
            CookiePolicy(secure=config.tls is not None or not plain_loopback),
        )

    def _commit_statuses(self, read: ReadSide) -> CommitStatuses | None:
        """The commit status reporter, when a token is given and the state is on GitHub."""
        config = self.config
        if not config.github_status_token:
            return None
        host = api_host(config.github_api_url)
        location = None if config.git is None else config.git.location
        repository = None if location is None else github_repository(location.url, host)
        if repository is None:
            logger.warning(
                "commit statuses are off: the state is not a git repository on %s",
                host,
                extra={"source": "a directory" if location is None else location.shown_url},
            )
            return None
        logger.info("commit statuses go to %s on %s", repository, host)
        client = StatusClient(config.github_api_url, config.github_status_token)
        return CommitStatuses(read, repository, client, config.external_url)

    def _notifications(self, reconciler: Reconciler, metrics: FasitMetrics) -> Dispatcher | None:
        """The dispatcher and the observer that feeds it, when any sink is configured."""
        config = self.config.notify
        if not config.sinks:
            return None
        dispatcher = Dispatcher(config, self._labels)
        observer = self.observer = Observer(
            reconciler, dispatcher.publish, Links(self.config.external_url)
        )
        # A revision is news once for the fleet: the elected replica tells it. Release and
        # agent events come from the owner of their environment (docs/ha.md).
        self.snapshots.listen(
            lambda snapshot, record: (
                observer.observe_offer(snapshot, record) if self.is_leader() else None
            )
        )
        reconciler.on_pass(observer.observe_pass)
        metrics.registry.register(NotificationMetrics(dispatcher))
        for sink in config.sinks:
            routed = {} if sink.route is None else {"route": str(sink.route)}
            logger.info("notifications: %s to %s", sink.name, shown_url(sink.url), extra=routed)
        return dispatcher

    def _labels(self, environment: str) -> dict[str, str]:
        """The environment's labels in the snapshot being served ({} if it has none)."""
        current = self.snapshots.current
        located = None if current is None else current.index.environments.get(environment)
        return {} if located is None else dict(located.model.labels)

    def _planned(self, plan: Plan) -> None:
        fleet = self.fake_fleet
        if fleet is not None:
            fleet.ensure(plan.environments)
        assert self.reconciler is not None
        self.reconciler.update_plan(plan)
        if self.memory is not None:
            self.memory.handed_over()

    async def _publish(self, chart: ResolvedChart) -> ChartReference:
        """An in-repo chart as agents fetch it: packaged, held, addressed by its digest."""
        desired = self._desired
        if desired is None or desired.in_repo is None:
            raise ChartNotPublished(f"{chart.location}: no planned revision holds it yet")
        served = self.archives.held(chart)
        if served is None:
            # Packaging compresses, and reads the tree for files not kept from planning (a git
            # tree's reads wait for a fetch under way): on a thread, so the loop runs on.
            served = await asyncio.to_thread(self.archives.publish, chart, desired.in_repo.package)
        return ChartReference(served.url, served.digest)

    async def _listening(self, web: uvicorn.Server, serving: asyncio.Task[None]) -> None:
        """Return once the web server serves; raise if it stopped first."""
        while not web.started:
            if serving.done():
                raise OSError(f"the web server stopped while starting: {serving.exception()}")
            await asyncio.sleep(0.01)


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or `localhost`) only listens to this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def _bind(host: str, port: int, flag: str) -> socket.socket:
    try:
        listening = socket.create_server((host, port), reuse_port=False)
    except OSError as exc:
        raise OSError(f"cannot listen on {host}:{port} ({flag}): {exc.strerror}") from exc
    listening.setblocking(False)
    return listening


def _required(git: GitSourceConfig | None) -> GitSourceConfig:
    if git is None:
        raise ValueError("no git source configured")
    return git

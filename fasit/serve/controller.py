"""`fasit serve` in one asyncio process: source → snapshot store → charts and planner →
reconciler → agent hub, the web app beside them, and (on request) fake agents.

`Controller.run(stop)` starts everything, runs until `stop` is set, and then stops in reverse
order within a bounded time: the web server, the fake agents, the source and planner, the
reconciler (which writes what its store has queued), and last the hub.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from starlette.applications import Starlette

from fasit.agents import AgentHub, HubConfig, TokenFile
from fasit.charts import ChartArchives, OciCharts, ResolvedChart
from fasit.github import CommitStatuses, StatusClient, api_host, github_repository
from fasit.memory import ServeMemory
from fasit.notify import Dispatcher, Links, NotificationMetrics, Observer, shown_url
from fasit.plan import Plan, Planner, SecretsDirectory
from fasit.reconcile import (
    ChartLocator,
    ChartNotPublished,
    ChartReference,
    PostgresStatusStore,
    Reconciler,
    SqliteStatusStore,
)
from fasit.serve.config import ServeConfig, is_loopback
from fasit.serve.desired import DesiredState
from fasit.serve.fake_fleet import FakeFleet
from fasit.serve.listeners import bind, until_listening, web_server
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
    OpenIdProvider,
    ReadSide,
    Scopes,
    SignIn,
    chart_route,
    create_app,
    new_session_key,
    webhook_route,
)

__all__ = ["Controller"]

logger = logging.getLogger(__name__)


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
        web = web_server(app, config, config.tls)
        listening = bind(config.http_host, config.http_port, "--http-addr")
        metrics_web = None
        if config.metrics_addr is not None:
            host, port = config.metrics_addr
            metrics_listening = bind(host, port, "--metrics-addr")
            metrics_web = web_server(Starlette(routes=[metrics.route()]), config)
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
        await until_listening(web, serving)
        if metrics_web is not None:
            await until_listening(metrics_web, metrics_serving)
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


def _required(git: GitSourceConfig | None) -> GitSourceConfig:
    if git is None:
        raise ValueError("no git source configured")
    return git

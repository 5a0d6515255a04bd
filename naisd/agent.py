"""The agent: one session at a time with the controller, one piece of work at a time.

`Agent.run()` recovers what a crash interrupted, starts the worker (worker.py), and runs one
session (session.py) after another until `stop()`: between two, it waits a backoff (or what
the controller asked). Work runs in its own task, independent of the connection: a deploy goes
on while the stream is cut, and its result is sent after the reconnect. The same class runs as
`naisd` (cli.py) and in-process (many agents in one event loop, for demos). Its timings are
config.py's `AgentConfig`; where its messages go (the live stream, or kept for the next one) is
outgoing.py's `Outgoing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable

import grpc

from naisd.backoff import Backoff
from naisd.config import AgentConfig
from naisd.controllers import Controllers
from naisd.outgoing import Outgoing
from naisd.results import ResultStore
from naisd.session import Session, SessionState
from naisd.work import Executor
from naisd.worker import Worker

__all__ = ["Agent", "AgentConfig"]

logger = logging.getLogger(__name__)

_LIVE = frozenset({SessionState.SERVING, SessionState.DRAINING})


class Agent:
    """The agent of one environment. `await agent.run()` until `agent.stop()`."""

    def __init__(
        self,
        target: str,
        # One controller's address, or several comma-separated (replicas of one fleet).
        environment: str,
        token: Callable[[], str],
        executor: Executor,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        store: ResultStore | None = None,
        config: AgentConfig | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.environment = environment
        self.executor = executor
        store = store or ResultStore()
        config = config or AgentConfig()
        self._stop = asyncio.Event()
        self._backoff = Backoff(config.backoff_initial, config.backoff_maximum, rng=rng)
        outgoing = Outgoing(config.outgoing_capacity, config.offline_log_lines)
        self._worker = Worker(executor, store, outgoing, config, self._stop)
        self._session = Session(
            Controllers(tuple(part.strip() for part in target.split(","))),
            environment,
            token,
            self._worker,
            outgoing=outgoing,
            store=store,
            config=config,
            backoff=self._backoff,
            stopping=self._stop,
            credentials=credentials,
        )

    @property
    def target(self) -> str:
        """The controller address dialled now (or last)."""
        return self._session.target

    @property
    def session_id(self) -> str:
        """The controller's id of the live session; "" while not connected."""
        return self._session.session_id

    @property
    def connected(self) -> bool:
        """Whether a session is live (welcomed by the controller, or draining on stop)."""
        return self._session.state in _LIVE

    def stop(self) -> None:
        """Stop: running work is stopped and reported, not awaited; `run()` then returns."""
        self._stop.set()
        self._worker.wake()

    async def run(self) -> None:
        await self._worker.recover()
        worker = asyncio.create_task(self._worker.run())
        try:
            while not self._stop.is_set():
                asked = 0.0
                try:
                    asked = await self._session.serve()
                except Exception:  # a bug in one session must not end the agent: log, retry
                    logger.exception("session failed unexpectedly")
                if self._stop.is_set():
                    break
                if not self.executor.is_healthy():
                    # A hung agent (the fake executor's FASIT_FAKE_UNHEALTHY): it does not
                    # come back once the controller has given up on it.
                    logger.warning("unhealthy: not reconnecting", extra={"controller": self.target})
                    await self._stop.wait()
                    break
                at_once = self._session.controllers.next(welcomed=self._session.welcomed)
                delay = asked if at_once else max(self._backoff.next_delay(), asked)
                logger.info("reconnecting in %.1f s", delay, extra={"controller": self.target})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
        finally:
            self.stop()
            await worker
            await self._worker.close()

"""The fake executor: helm simulated over a cluster kept in memory, for demos and tests.

It is what `naisd --executor fake` and `fasit serve --fake-agents` run: the same agent, the
same stream, no helm. Every environment succeeds unless the environment variables say
otherwise (lists separated by commas):

- FASIT_FAKE_FAILING=tenant/env,…    installs and upgrades there fail (the release is `failed`);
- FASIT_FAKE_UNHEALTHY=tenant/env,…  the agent there hangs: no heartbeats, and no reconnect
  once the controller ends its session (it shows OFFLINE after the agent timeout);
- FASIT_FAKE_ORPHANS=tenant/env/release,…  releases that exist there from the start, deployed
  by fasit (they carry a release hash) but wanted by no one.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import re
from collections.abc import Mapping
from dataclasses import replace

from naisd.wire import now_ms
from naisd.work import Action, Applied, Inventory, LogKind, LogSink, Outcome, Release, Work

__all__ = ["DEFAULT_DELAY", "FakeExecutor"]

DEFAULT_DELAY = (0.2, 1.0)
"""Seconds one instruction takes, drawn uniformly."""
ORPHAN_NAMESPACE = "default"
_ENVIRONMENT = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_RELEASE = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"


class FakeExecutor:
    """A simulated helm and cluster for one environment. `runs` lists the ids it carried out."""

    name = "fake"

    def __init__(
        self,
        environment: str,
        *,
        failing: bool = False,
        healthy: bool = True,
        orphans: tuple[str, ...] = (),
        delay: tuple[float, float] = DEFAULT_DELAY,
        rng: random.Random | None = None,
    ) -> None:
        low, high = delay
        if not 0 <= low <= high:
            raise ValueError(f"fake delay must be 0 <= min <= max, got {low}-{high}")
        self.environment = environment
        self.failing = failing
        self.healthy = healthy
        self.delay = delay
        self.runs: list[str] = []
        self._rng = rng or random.Random()
        self._releases: dict[tuple[str, str], Release] = {}
        for name in orphans:
            self._releases[(ORPHAN_NAMESPACE, name)] = Release(
                name=name,
                namespace=ORPHAN_NAMESPACE,
                chart=name,
                version="1.0.0",
                release_hash="sha256:" + hashlib.sha256(f"orphan:{name}".encode()).hexdigest(),
                status="deployed",
                revision=1,
                updated_ms=now_ms(),
            )

    @classmethod
    def from_environment(
        cls,
        environment: str,
        variables: Mapping[str, str] = os.environ,
        *,
        delay: tuple[float, float] = DEFAULT_DELAY,
        rng: random.Random | None = None,
    ) -> FakeExecutor:
        """Configured by FASIT_FAKE_FAILING, FASIT_FAKE_UNHEALTHY and FASIT_FAKE_ORPHANS.

        A malformed entry is a ValueError naming the variable and the entry.
        """
        failing = _entries(variables, "FASIT_FAKE_FAILING", _ENVIRONMENT)
        unhealthy = _entries(variables, "FASIT_FAKE_UNHEALTHY", _ENVIRONMENT)
        orphans = _entries(variables, "FASIT_FAKE_ORPHANS", f"{_ENVIRONMENT}/{_RELEASE}")
        return cls(
            environment,
            failing=environment in failing,
            healthy=environment not in unhealthy,
            orphans=tuple(
                entry.rsplit("/", 1)[1]
                for entry in orphans
                if entry.rsplit("/", 1)[0] == environment
            ),
            delay=delay,
            rng=rng,
        )

    def is_healthy(self) -> bool:
        return self.healthy

    async def inventory(self) -> Inventory:
        return Inventory(tuple(self._releases[key] for key in sorted(self._releases)))

    async def apply(self, work: Work, log: LogSink) -> Applied:
        self.runs.append(work.id)
        steps = _UNINSTALL_STEPS if work.action is Action.UNINSTALL else _INSTALL_STEPS
        pause = self._rng.uniform(*self.delay) / len(steps)
        for step in steps:
            await asyncio.sleep(pause)
            log(LogKind.STDOUT, step.format(w=work, env=self.environment))
        key = (work.namespace, work.release)
        if work.action is Action.UNINSTALL:
            self._releases.pop(key, None)
            return Applied(Outcome.UNINSTALLED)
        previous = self._releases.get(key)
        release = Release(
            name=work.release,
            namespace=work.namespace,
            chart=work.release,
            version=work.version,
            release_hash=work.release_hash,
            status="deployed",
            revision=previous.revision + 1 if previous else 1,
            updated_ms=now_ms(),
        )
        if self.failing:
            log(LogKind.STDERR, f"Error: UPGRADE FAILED: {work.release}: simulated failure")
            self._releases[key] = replace(release, status="failed")
            return Applied(
                Outcome.FAILED,
                f"simulated failure: FASIT_FAKE_FAILING lists {self.environment}",
                self._releases[key],
            )
        self._releases[key] = release
        return Applied(Outcome.DEPLOYED, "", release)


_INSTALL_STEPS = (
    "(fake) helm upgrade --install {w.release} {w.chart} --version {w.version}"
    " --namespace {w.namespace} in {env}",
    "(fake) pulled {w.chart}:{w.version}",
    "(fake) rendered and applied the manifests",
    "(fake) resources of {w.release} are ready",
)
_UNINSTALL_STEPS = (
    "(fake) helm uninstall {w.release} --namespace {w.namespace} in {env}",
    "(fake) release {w.release} uninstalled",
)


def _entries(variables: Mapping[str, str], name: str, pattern: str) -> set[str]:
    entries = {e.strip() for e in variables.get(name, "").split(",") if e.strip()}
    for entry in sorted(entries):
        if not re.fullmatch(pattern, entry):
            shape = "tenant/env/release" if name == "FASIT_FAKE_ORPHANS" else "tenant/env"
            raise ValueError(f"{name}: {entry!r} is not {shape}")
    return entries

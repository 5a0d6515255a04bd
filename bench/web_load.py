"""The load part of bench/web_bench.py: the dashboard's latency while `fasit serve` works.

`python -m fasit serve --fake-agents` runs as a process on 127.0.0.1, serving a generated
state directory (`bench/fleet.py`, every feature assigned everywhere; by default 2 tenants x
50 environments and 20 features: 2,000 releases), with an in-process fake agent for every
environment (each deploy takes 0.2-1 s). Once every agent is connected and no release is
SENT, INSTALLING, UNINSTALLING or PENDING, the load runs:

- open loop: request i is due at start + i / rate, whatever happened to the ones before, and
  its latency runs from that due time, so a server that stalls shows as late answers rather
  than fewer questions (no coordinated omission). Requests take turns over the routes;
- a pool of keep-alive HTTP/1.1 connections opened before the start (asyncio streams). A
  request due while every connection is busy waits for one; that wait is in its latency;
- meanwhile the state directory changes every second, alternately: the first assignment of a
  feature with two versions flips to its other version (a rollout to about two thirds of the
  environments), and one per-environment config value takes a new number (one redeploy).
  Each change is a new revision that the server builds, plans and deploys through its fake
  agents.

Revisions and deploys are counted from the server's /metrics before and after; the server's
CPU time from /proc. At the end the server is stopped with SIGTERM and its exit code shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fleet import ENVIRONMENTS_PER_TENANT, write_fleet
from bench.plan_bench import bumped
from bench.validate_bench import machine
from fasit.state import DirectoryTree, LoadLimits, MemoryTree
from tests.integration.processes import LOOPBACK, free_port

IN_FLIGHT = ("SENT", "INSTALLING", "UNINSTALLING", "PENDING")
REQUEST_TIMEOUT = 10.0


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    http: int
    log: Path

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(
                f"http://{LOOPBACK}:{self.http}{path}", timeout=timeout
            ) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def json(self, path: str) -> Any:
        status, body = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]}")
        return json.loads(body)

    def until(self, what: str, condition: Any, timeout: float) -> float:
        """Seconds until `condition()` held; fails after `timeout` or if the server exited."""
        started = time.monotonic()
        while True:
            with contextlib.suppress(OSError, ValueError, RuntimeError):
                if condition():
                    return time.monotonic() - started
            if self.process.poll() is not None:
                raise RuntimeError(f"fasit serve exited: {self.log_tail()}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(
                    f"timed out after {timeout:.0f} s waiting for {what}; "
                    f"status: {self.get('/api/v1/status')[1][:1000]}; "
                    f"revisions: {self.get('/api/v1/revisions')[1][:1500]}"
                )
            time.sleep(0.25)

    def log_tail(self, characters: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-characters:]

    def cpu_seconds(self) -> float:
        """User and system time of the server process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def metrics(self) -> dict[str, float]:
        """The /metrics samples (name with labels → value)."""
        _, text = self.get("/metrics")
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                samples[name] = float(value)
        return samples

    def planned(self, revision: str) -> bool:
        """Whether `revision` is served and its plan made (its revisions entry has plans)."""
        status = self.json("/api/v1/status")
        if status["served"] is None or status["served"]["revision"] != revision:
            return False
        items = self.json("/api/v1/revisions")["items"]
        return any(item["revision"] == revision and item["plans"] for item in items)

    def converged(self, environments: int, releases: int) -> bool:
        status = self.json("/api/v1/status")
        if status["agents_connected"] != environments:
            return False
        for state in IN_FLIGHT:
            if self.json(f"/api/v1/releases?status={state}&limit=1")["total"]:
                return False
        deployed: int = self.json("/api/v1/releases?status=DEPLOYED&limit=1")["total"]
        return deployed == releases


def start(root: Path, gc_log: Path | None = None, policy: bool = True) -> Server:
    """`python -m fasit serve` (through bench.web_gc_probe if `gc_log`, or without its memory
    policy) on free ports."""
    http, grpc = free_port(), free_port()
    log = root / "serve.log"
    if policy and gc_log is None:
        program = ["fasit"]
    else:
        gc_log = gc_log or root / "gc.log"
        program = ["bench.web_gc_probe", *([] if policy else ["--no-policy"]), str(gc_log)]
    command = [
        sys.executable,
        "-m",
        *program,
        "serve",
        "--state-dir",
        str(root / "state"),
        "--fake-agents",
        "--http-addr",
        f"{LOOPBACK}:{http}",
        "--grpc-addr",
        f"{LOOPBACK}:{grpc}",
        "--status-db",
        str(root / "status" / "status.db"),
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1]
        )
    return Server(process, http, log)


class Changes:
    """Changes the state directory: a version flip, then a config value, and so on."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.flips = sorted(
            path
            for path in (state / "assignments").glob("*.yaml")
            if path.read_text(encoding="utf-8").count("kind: Assignment") == 2
        )
        self.configs = sorted((state / "configs").glob("*/*.yaml"))
        self.made = 0
        self.writes: list[tuple[str, str]] = []
        """(path below the state root, text) of each change."""
        self.times: list[float] = []
        """When each change was written (the event loop's clock)."""
        self.walls: list[datetime] = []
        """The same, by the wall clock (revisions are recorded by it)."""
        self.longest = 0.0
        """Seconds the slowest change took to write."""

    def next(self) -> None:
        number = self.made
        if number % 2 == 0:
            path = self.flips[(number // 2) % len(self.flips)]
            text = path.read_text(encoding="utf-8")
            version = "1.1.0" if 'version: "1.0.0"' in text.partition("---")[0] else "1.0.0"
            text = bumped(text, version)
        else:
            path = self.configs[(number // 2) % len(self.configs)]
            text = re.sub(
                r"group1\.value1: \d+",
                f"group1.value1: {100 + number}",
                path.read_text(encoding="utf-8"),
            )
        path.write_text(text, encoding="utf-8")
        self.walls.append(datetime.now(UTC))
        self.writes.append((str(path.relative_to(self.state)), text))
        self.made += 1

    def fingerprints(self, pristine: Path) -> list[str]:
        """The revision id (local-directory fingerprint) after each change, replayed on
        `pristine`, a copy of the state as it was before the first."""
        found = []
        for relative, text in self.writes:
            (pristine / relative).write_text(text, encoding="utf-8")
            tree = MemoryTree.capture(DirectoryTree(pristine), LoadLimits().max_file_bytes)
            found.append(tree.fingerprint)
        return found


@dataclass
class Answer:
    route: str
    due: float
    latency: float
    """Seconds from the due time to the whole answer (or the failure)."""
    status: int
    """0: no HTTP answer (connection error or timeout)."""
    error: str = ""


@dataclass
class Pool:
    """Keep-alive connections; a slot holds an open connection or None (open one)."""

    host: str
    port: int
    size: int
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = field(
        default_factory=asyncio.Queue
    )
    opened: int = 0
    reopened: int = 0

    async def fill(self) -> None:
        for _ in range(self.size):
            self.idle.put_nowait(await self._open())

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.opened += 1
        return await asyncio.open_connection(self.host, self.port)

    async def get(self, path: str) -> tuple[int, int]:
        """GET `path` on a pooled connection: status and body size. A kept-alive connection
        the server closed before answering is retried once on a new one (counted)."""
        for attempt in range(2):
            slot = await self.idle.get()
            kept = slot is not None
            connection = slot or await self._open()
            reusable = False
            try:
                status, size, reusable = await _exchange(*connection, self.host, path)
                return status, size
            except (asyncio.IncompleteReadError, ConnectionResetError):
                if not kept or attempt:
                    raise
                self.reopened += 1
            finally:
                if not reusable:
                    connection[1].close()
                self.idle.put_nowait(connection if reusable else None)
        raise AssertionError("unreachable")

    def close(self) -> None:
        while not self.idle.empty():
            slot = self.idle.get_nowait()
            if slot is not None:
                slot[1].close()


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str
) -> tuple[int, int, bool]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n\r\n".encode())
    await writer.drain()
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, *lines = head.split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        size = len(await reader.readexactly(int(headers["content-length"])))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        size = 0
        while True:
            length = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            size += len(await reader.readexactly(length + 2)) - 2
            if length == 0:
                break
    else:
        raise RuntimeError(f"GET {path}: an answer with no length: {headers}")
    return status, size, headers.get("connection", "").lower() != "close"


async def drive(
    server: Server,
    routes: tuple[str, ...],
    rate: float,
    seconds: float,
    connections: int,
    changes: Changes,
) -> tuple[list[Answer], float]:
    """The open-loop run; the answers and the wall time."""
    pool = Pool(LOOPBACK, server.http, connections)
    await pool.fill()
    loop = asyncio.get_running_loop()
    answers: list[Answer] = []

    async def one(route: str, due: float) -> None:
        try:
            status, _ = await asyncio.wait_for(pool.get(route), REQUEST_TIMEOUT)
            answers.append(Answer(route, due, loop.time() - due, status))
        except Exception as exc:
            answers.append(Answer(route, due, loop.time() - due, 0, repr(exc)))

    async def change_every_second(begin: float) -> None:
        tick = 0
        while tick < seconds:
            await asyncio.sleep(max(0.0, begin + tick - loop.time()))
            written = loop.time()
            await asyncio.to_thread(changes.next)  # a slow disk holds no request back
            changes.times.append(written)
            changes.longest = max(changes.longest, loop.time() - written)
            tick += 1

    total = round(rate * seconds)
    begin = loop.time() + 0.2
    changing = asyncio.create_task(change_every_second(begin + 0.5))
    requests = []
    lag, lagged_at, late = 0.0, 0.0, 0
    for number in range(total):
        due = begin + number / rate
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        if loop.time() - due > lag:
            lag, lagged_at = loop.time() - due, due - begin
        late += loop.time() - due > 0.01
        requests.append(asyncio.create_task(one(routes[number % len(routes)], due)))
    await asyncio.gather(*requests)
    await changing
    wall = loop.time() - begin
    pool.close()
    print(
        f"  generator: largest dispatch lag {lag * 1000:.1f} ms ({lagged_at:.1f} s into the "
        f"run), {late} requests sent more than 10 ms late; the longest change write "
        f"{changes.longest * 1000:.0f} ms"
    )
    print(
        f"  connections: {connections} kept alive, {pool.opened} opened in all "
        f"({pool.reopened} requests retried on a new one after the server closed it)"
    )
    return answers, wall


def load(
    *,
    tenants: int,
    features: int,
    seconds: float,
    rate: float,
    connections: int,
    converge_timeout: float,
    server_gc_log: bool = False,
    server_policy: bool = True,
) -> None:
    environments = tenants * ENVIRONMENTS_PER_TENANT
    releases = environments * features
    # What an earlier part left for the collector is collected now, not during the run: a
    # generation-2 pass over it stalled this process's loop for 1.6 s once.
    gc.collect()
    gc.freeze()
    routes = (
        "/",
        "/api/v1/overview",
        "/api/v1/releases?limit=100",
        "/features/feature-001",
        "/environments/t00/e03",
    )
    with tempfile.TemporaryDirectory(prefix="fasit-web-load-") as directory:
        root = Path(directory)
        write_fleet(root / "state", tenants=tenants, features=features, targets=({},))
        write_fleet(root / "pristine", tenants=tenants, features=features, targets=({},))
        changes = Changes(root / "state")
        started = time.monotonic()
        gc_log = root / "gc.log" if server_gc_log else None
        server = start(root, gc_log, server_policy)
        exit_code: int | None = None
        try:
            ready = server.until("/readyz", lambda: server.get("/readyz")[0] == 200, 60)
            converged = server.until(
                "convergence",
                lambda: server.converged(environments, releases),
                converge_timeout,
            )
            before = server.metrics()
            cpu_before = server.cpu_seconds()
            client_cpu = time.process_time()
            machine_before = machine_times()
            print(
                f"load: fasit serve --fake-agents as a process, machine: {machine()}; memory "
                f"policy: {'on' if server_policy else 'off'}"
            )
            print(
                f"  fleet: {environments} environments x {features} features = {releases} "
                f"releases; ready after {ready:.1f} s, converged {converged:.1f} s later "
                f"({time.monotonic() - started:.1f} s from start)"
            )
            answers, wall = asyncio.run(drive(server, routes, rate, seconds, connections, changes))
            client_cpu = time.process_time() - client_cpu
            machine_after = machine_times()
            cpu = server.cpu_seconds() - cpu_before
            after = server.metrics()
            fingerprints = changes.fingerprints(root / "pristine")
            last = fingerprints[-1]
            caught_up = server.until(
                "the last change's revision, served and planned",
                lambda: server.planned(last),
                30,
            )
            settled = server.until(
                "convergence after the load",
                lambda: server.converged(environments, releases),
                converge_timeout,
            )
            revisions = server.json("/api/v1/revisions")["items"]
        finally:
            stopping = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            try:
                exit_code = server.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
            stopped = time.monotonic() - stopping
            log = server.log_tail(10**9)
            collections = _collections(gc_log) if gc_log is not None else None

    report(answers, routes, rate, seconds, wall, changes.times)
    if collections is not None:
        collected_during(answers, collections)
    delta = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    built = delta.get("fasit_snapshot_build_seconds_count", 0.0)
    failed = delta.get('fasit_sync_errors_total{reason="blocking-problems"}', 0.0)
    deployed = delta.get('fasit_deploy_seconds_count{outcome="deployed"}', 0.0)
    failed_deploys = delta.get('fasit_deploy_seconds_count{outcome="failed"}', 0.0)
    flips = (changes.made + 1) // 2
    print(
        f"  state changes made: {changes.made}, one a second ({flips} version flips, "
        f"{changes.made - flips} config values)"
    )
    print(
        f"  revisions built by the server meanwhile: {built:.0f}, served {built - failed:.0f}, "
        f"failed {failed:.0f}; the revisions page lists {len(revisions)} (it keeps 50), "
        f"{sum(1 for item in revisions if item['outcome'] == 'served')} served"
    )
    recorded = {
        item["revision"]: datetime.fromisoformat(item["recorded_at"].replace("Z", "+00:00"))
        for item in revisions
    }
    shown = [
        (number, fingerprint)
        for number, fingerprint in enumerate(fingerprints)
        if number >= len(fingerprints) - len(revisions) + 1
    ]
    taken = [
        (recorded[fingerprint] - changes.walls[number]).total_seconds() * 1000
        for number, fingerprint in shown
        if fingerprint in recorded
    ]
    missing = [number for number, fingerprint in shown if fingerprint not in recorded]
    if taken:
        print(
            f"  of the last {len(shown)} changes, {len(taken)} have their own revision on the "
            f"revisions page; change written -> revision recorded: median "
            f"{statistics.median(taken):.0f} ms, max {max(taken):.0f} ms"
            + (f"; no revision of its own: changes {missing}" if missing else "")
        )
    print(
        f"  instructions sent: {delta.get('fasit_instructions_sent_total', 0.0):.0f}, deploys "
        f"finished deployed: {deployed:.0f}, failed: {failed_deploys:.0f} (counted at the end of "
        f"the load); then the last change's revision was served and planned within "
        f"{caught_up:.1f} s more, and the fleet converged {settled:.1f} s after that"
    )
    print(
        f"  server CPU: {cpu:.1f} s in {wall:.1f} s ({cpu / wall:.0%} of one core); "
        f"load generator CPU: {client_cpu:.1f} s"
    )
    busy = {name: machine_after[name] - machine_before[name] for name in machine_after}
    cores = os.cpu_count() or 1
    print(
        f"  machine during the run: {busy['busy']:.1f} s busy of {cores * wall:.0f} s on "
        f"{cores} cores; steal {busy['steal']:.1f} s, iowait {busy['iowait']:.1f} s"
    )
    errors = sum(1 for line in log.splitlines() if "Traceback" in line or " ERROR " in line)
    print(
        f"  SIGTERM: exited {exit_code} after {stopped:.1f} s; "
        f"{errors} ERROR/Traceback lines in the server's log"
    )


def machine_times() -> dict[str, float]:
    """Seconds every CPU spent busy, stolen (by the hypervisor) and waiting on I/O."""
    fields = [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, iowait, irq, softirq, steal = fields[:8]
    return {
        "busy": (user + nice + system + irq + softirq) / tick,
        "steal": steal / tick,
        "iowait": iowait / tick,
    }


def _collections(log: Path) -> list[tuple[float, float]]:
    """(start, end) of each generation-2 collection the probe logged, monotonic seconds."""
    found = []
    for line in log.read_text(encoding="utf-8").splitlines():
        started, milliseconds, _ = line.split()
        found.append((float(started), float(started) + float(milliseconds) / 1000))
    return found


def collected_during(answers: list[Answer], collections: list[tuple[float, float]]) -> None:
    """The server's generation-2 collections in the run, and the requests they held up."""
    begin = min(a.due for a in answers)
    end = max(a.due + a.latency for a in answers)
    during = [(start, stop) for start, stop in collections if begin <= start <= end]
    if not during:
        print("  server gc: no generation-2 collection during the run")
        return
    took = [(stop - start) * 1000 for start, stop in during]
    held: list[float] = []
    free: list[float] = []
    for answer in answers:
        finished = answer.due + answer.latency
        hit = any(start < finished and stop > answer.due for start, stop in during)
        (held if hit else free).append(answer.latency * 1000)
    print(
        f"  server gc (--server-gc-log): {len(during)} generation-2 collections in the run, "
        f"one every {(end - begin) / len(during):.1f} s, median {statistics.median(took):.0f} ms,"
        f" max {max(took):.0f} ms"
    )
    for name, latencies in (("waiting on a gen-2 collection", held), ("the others", free)):
        if latencies:
            print(
                f"    {name:30} {len(latencies):6} requests   p50 "
                f"{statistics.median(latencies):7.1f}   p99 {percentile(latencies, 0.99):7.1f}"
                f"   max {max(latencies):7.1f}"
            )


def near_change(answers: list[Answer], times: list[float]) -> None:
    """Latency of the requests due in the first half second after a change, and the rest."""
    near: list[float] = []
    far: list[float] = []
    for answer in answers:
        since = [answer.due - at for at in times if at <= answer.due]
        (near if since and min(since) < 0.5 else far).append(answer.latency * 1000)
    for name, latencies in (("due < 0.5 s after a change", near), ("the others", far)):
        if latencies:
            print(
                f"    {name:28} {len(latencies):8} {'':6} {'':7} "
                f"{statistics.median(latencies):8.1f} {percentile(latencies, 0.99):8.1f} "
                f"{max(latencies):8.1f}"
            )


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank (as e2e_bench)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(
    answers: list[Answer],
    routes: tuple[str, ...],
    rate: float,
    seconds: float,
    wall: float,
    change_times: list[float],
) -> None:
    print(
        f"  open loop: {rate:.0f} requests/s for {seconds:.0f} s, taking turns over "
        f"{len(routes)} routes; latency in ms from each request's due time"
    )
    print(
        f"    {'route':28} {'requests':>8} {'errors':>6} {'rate/s':>7} {'p50':>8} "
        f"{'p99':>8} {'max':>8}"
    )
    for route in (*routes, "all"):
        chosen = [a for a in answers if route in ("all", a.route)]
        latencies = [a.latency * 1000 for a in chosen]
        failed = [a for a in chosen if a.status != 200]
        # Achieved: answers with 200 over the span from the first due time to the last answer.
        span = max(a.due + a.latency for a in chosen) - min(a.due for a in chosen)
        print(
            f"    {route:28} {len(chosen):8} {len(failed):6} "
            f"{(len(chosen) - len(failed)) / span:7.1f} {statistics.median(latencies):8.1f} "
            f"{percentile(latencies, 0.99):8.1f} {max(latencies):8.1f}"
        )
        for error in sorted({a.error or str(a.status) for a in failed})[:5]:
            print(f"      error: {error}")
    near_change(answers, change_times)
    print(f"    the run took {wall:.1f} s from the first due time to the last answer")

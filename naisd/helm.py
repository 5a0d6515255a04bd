"""The helm executor: the real `helm` CLI (Helm 4), one process per instruction.

Installs run `helm upgrade --install --rollback-on-failure --cleanup-on-fail --history-max 10
--namespace NS --create-namespace --version V [--plain-http] -f values.yaml --timeout T --labels
fasit.release-hash=… RELEASE CHART` (`--plain-http` for an oci:// chart whose registry naisd
was told is plain HTTP; CHART a downloaded archive's path for a chart fasit serves over
http(s), checked against its digest first), uninstalls `helm uninstall RELEASE --namespace NS
--timeout T`. helm's stdout and stderr stream as Progress. helm runs in its own process group,
killed (SIGTERM, then SIGKILL) when the instruction's timeout plus a margin has passed, or when
naisd stops.

The values file holds exactly the instruction's values: naisd adds nothing, so a chart whose
schema forbids unknown keys installs. The release hash travels as a release label
(helm_labels.py), which the inventory reads back with `helm get metadata`. So a restarted
agent reports what runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import tempfile
from collections import deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from naisd.chart_download import (
    ChartDownloadFailed,
    DownloadSettings,
    download_chart,
    is_downloaded_chart,
)
from naisd.helm_labels import label_args, release_hash_of
from naisd.helm_list import HelmFailed, ListedRelease, helm_error, parse_list
from naisd.work import Action, Applied, Inventory, LogKind, LogSink, Outcome, Release, Work

__all__ = [
    "HelmExecutor",
    "chart_reference",
    "helm_duration",
    "uninstall_args",
    "upgrade_args",
]

_LINE_LIMIT = 1024 * 1024
_QUERY_TIMEOUT = 60.0


def helm_duration(seconds: float) -> str:
    """A Go duration for --timeout: 300 → "300s", 1.5 → "1500ms"."""
    milliseconds = max(1, round(seconds * 1000))
    return f"{milliseconds // 1000}s" if milliseconds % 1000 == 0 else f"{milliseconds}ms"


def chart_reference(work: Work) -> str:
    """CHART for helm: an oci:// chart pinned by its digest when it has one."""
    if work.chart.startswith("oci://") and work.digest:
        return f"{work.chart}@{work.digest}"
    return work.chart


def _registry_of(chart: str) -> str | None:
    """HOST[:PORT] of an oci:// chart ("oci://r.example:5000/charts/web" → "r.example:5000")."""
    if not chart.startswith("oci://"):
        return None
    return chart.removeprefix("oci://").split("/", 1)[0]


def upgrade_args(
    work: Work,
    values_file: Path,
    *,
    plain_http: Collection[str] = frozenset(),
    chart_file: Path | None = None,
) -> list[str]:
    """helm's arguments for an install; `plain_http`: the HOST[:PORT]s reached over HTTP;
    `chart_file`: the archive downloaded for the work's chart, installed instead of it.

    `--version` goes with a downloaded archive too: helm loads a local archive as it is (it
    checks no version against it), and the archive is already pinned by its digest.
    """
    args = [
        "upgrade",
        "--install",
        # Helm 4's name for --atomic (deprecated there): a failed upgrade rolls back, a failed
        # first install is removed; it waits for the resources ("watcher") until --timeout.
        "--rollback-on-failure",
        "--cleanup-on-fail",
        "--history-max",
        "10",
        "--namespace",
        work.namespace,
        "--create-namespace",
        "--version",
        work.version,
        # helm speaks HTTPS to every registry unless told otherwise, per command.
        *(["--plain-http"] if _registry_of(work.chart) in plain_http else []),
        "-f",
        str(values_file),
        "--timeout",
        helm_duration(work.timeout),
        *label_args(work.release_hash),
    ]
    chart = chart_reference(work) if chart_file is None else str(chart_file)
    return [*args, work.release, chart]


def uninstall_args(work: Work) -> list[str]:
    timeout = helm_duration(work.timeout)
    return ["uninstall", work.release, "--namespace", work.namespace, "--timeout", timeout]


@dataclass(frozen=True, slots=True)
class _Exit:
    code: int | None
    """None: helm was killed at the deadline."""
    errors: tuple[str, ...]
    """The last lines helm wrote to stderr, where it says what went wrong."""


class HelmExecutor:
    """Runs the helm CLI found as `helm` (a path, or a name looked up on PATH)."""

    name = "helm"

    def __init__(
        self,
        helm: str = "helm",
        *,
        workdir: Path | None = None,
        timeout_margin: float = 30.0,
        kill_grace: float = 3.0,
        environ: Mapping[str, str] | None = None,
        plain_http_registries: Collection[str] = frozenset(),
        chart_token: Callable[[], str] | None = None,
        downloads: DownloadSettings | None = None,
    ) -> None:
        self.helm = helm
        self.workdir = workdir
        self.timeout_margin = timeout_margin
        """helm gets its own --timeout first (its --rollback-on-failure needs it); past this margin
        beyond it, the process group is killed."""
        self.kill_grace = kill_grace
        self.plain_http_registries = frozenset(plain_http_registries)
        """HOST[:PORT]s of registries helm reaches over plain HTTP (`--plain-http`)."""
        self.chart_token = chart_token
        """The agent's token (read at each download), sent to fetch charts fasit serves."""
        self.downloads = downloads or DownloadSettings()
        self._environ = dict(environ) if environ is not None else None
        self._hashes: dict[tuple[str, str, int], str] = {}

    def is_healthy(self) -> bool:
        return True

    async def apply(self, work: Work, log: LogSink) -> Applied:
        if work.action is Action.UNINSTALL:
            return await self._uninstall(work, log)
        with contextlib.ExitStack() as files:
            chart_file = None
            if is_downloaded_chart(work.chart):
                try:
                    archive = await self._download(work, log)
                except ChartDownloadFailed as exc:
                    log(LogKind.AGENT, str(exc))
                    return Applied(Outcome.FAILED, str(exc), await self._release(work, log))
                chart_file = self._temporary_file(files, "chart-", ".tgz", archive)
            # JSON is YAML; the file is 0600, values may hold secrets.
            values = json.dumps(work.values).encode()
            values_file = self._temporary_file(files, "values-", ".yaml", values)
            args = upgrade_args(
                work, values_file, plain_http=self.plain_http_registries, chart_file=chart_file
            )
            done = await self._stream(args, log, work.timeout)
        release = await self._release(work, log)
        if done.code == 0:
            return Applied(Outcome.DEPLOYED, "", release)
        return Applied(Outcome.FAILED, self._failure("upgrade", done, work.timeout), release)

    async def _download(self, work: Work, log: LogSink) -> bytes:
        log(LogKind.AGENT, f"downloading chart {work.chart}")
        try:
            token = None if self.chart_token is None else self.chart_token()
        except (OSError, ValueError) as exc:
            raise ChartDownloadFailed(f"cannot download chart {work.chart}: {exc}") from exc
        archive = await download_chart(work.chart, work.digest, token, self.downloads)
        log(LogKind.AGENT, f"chart {work.digest} downloaded ({len(archive)} bytes) and checked")
        return archive

    def _temporary_file(
        self, files: contextlib.ExitStack, prefix: str, suffix: str, content: bytes
    ) -> Path:
        """A new file (mode 0600) in the workdir holding `content`, deleted when `files` closes."""
        handle, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=self.workdir)
        path = Path(name)
        files.callback(path.unlink, missing_ok=True)
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        return path

    async def _uninstall(self, work: Work, log: LogSink) -> Applied:
        done = await self._stream(uninstall_args(work), log, work.timeout)
        if done.code == 0:
            return Applied(Outcome.UNINSTALLED)
        if done.code is not None and any("not found" in line for line in done.errors):
            log(LogKind.AGENT, f"release {work.release} was not installed: nothing to uninstall")
            return Applied(Outcome.UNINSTALLED)
        return Applied(
            Outcome.FAILED,
            self._failure("uninstall", done, work.timeout),
            await self._release(work, log),
        )

    def _failure(self, verb: str, done: _Exit, timeout: float) -> str:
        if done.code is None:
            limit = timeout + self.timeout_margin
            return f"helm {verb} still ran after {limit:g} s (timeout + margin) and was killed"
        # The cause alone: "helm upgrade exited 1" says nothing a FAILED status does not.
        return helm_error(done.errors) or f"helm {verb} exited {done.code} without saying why"

    async def inventory(self) -> Inventory:
        listed = await self._list(["--all-namespaces"])
        releases = tuple([await self._with_hash(entry) for entry in listed])
        live = {(r.namespace, r.name, r.revision) for r in releases}
        self._hashes = {key: value for key, value in self._hashes.items() if key in live}
        return Inventory(releases)

    async def _release(self, work: Work, log: LogSink) -> Release | None:
        """The release as helm now has it; None if it is not there or helm cannot tell."""
        try:
            listed = await self._list(
                ["--namespace", work.namespace, "--filter", f"^{re.escape(work.release)}$"]
            )
            found = [entry for entry in listed if entry.name == work.release]
            return await self._with_hash(found[0]) if found else None
        except HelmFailed as exc:
            log(LogKind.AGENT, f"cannot read the release back: {exc}")
            return None

    async def _list(self, scope: list[str]) -> list[ListedRelease]:
        # --max 0: helm lists at most 256 releases unless told otherwise.
        command = ["list", *scope, "--all", "--max", "0", "--output", "json"]
        code, out, err = await self._query(command)
        if code != 0:
            raise _query_failed("list", code, err)
        return parse_list(out)

    async def _with_hash(self, entry: ListedRelease) -> Release:
        key = (entry.namespace, entry.name, entry.revision)
        if key not in self._hashes:
            where = ["--namespace", entry.namespace, "--revision", str(entry.revision)]
            code, out, err = await self._query(
                ["get", "metadata", entry.name, *where, "--output", "json"]
            )
            if code != 0:
                raise _query_failed("get metadata", code, err)
            try:
                self._hashes[key] = release_hash_of(out)
            except ValueError as exc:
                raise HelmFailed(f"unexpected output of helm get metadata: {exc}") from exc
        return entry.release(self._hashes[key])

    # -- processes -------------------------------------------------------------------------------

    async def _stream(self, args: list[str], log: LogSink, timeout: float) -> _Exit:
        """Run helm, its output to `log`; killed at timeout + margin or when cancelled."""
        log(LogKind.AGENT, "helm " + " ".join(args))
        process = await self._start(args)
        errors: deque[str] = deque(maxlen=20)
        assert process.stdout is not None
        assert process.stderr is not None
        pumps = [
            asyncio.create_task(_pump(process.stdout, LogKind.STDOUT, log, None)),
            asyncio.create_task(_pump(process.stderr, LogKind.STDERR, log, errors)),
        ]
        try:
            code: int | None = await asyncio.wait_for(process.wait(), timeout + self.timeout_margin)
        except TimeoutError:
            log(LogKind.AGENT, "helm ran past its timeout and margin: killing it")
            await self._kill(process)
            code = None
        except asyncio.CancelledError:
            log(LogKind.AGENT, "naisd is stopping: killing helm")
            await self._kill(process)
            raise
        finally:
            # A grandchild holding the pipes open must not keep us here.
            _, late = await asyncio.wait(pumps, timeout=1.0)
            for pump in late:
                pump.cancel()
        return _Exit(code, tuple(errors))

    async def _query(self, args: list[str]) -> tuple[int | None, str, str]:
        """Run a short helm command for its output (list, get metadata)."""
        process = await self._start(args)
        try:
            out, err = await asyncio.wait_for(process.communicate(), _QUERY_TIMEOUT)
        except (TimeoutError, asyncio.CancelledError):
            await self._kill(process)
            raise
        return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    async def _start(self, args: list[str]) -> asyncio.subprocess.Process:
        try:
            return await asyncio.create_subprocess_exec(
                self.helm,
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own process group, killed as one
                limit=_LINE_LIMIT,
                env=self._environ,
            )
        except OSError as exc:
            raise HelmFailed(f"cannot run {self.helm}: {exc.strerror}") from exc

    async def _kill(self, process: asyncio.subprocess.Process) -> None:
        """SIGTERM to helm's group (helm cancels and rolls back), SIGKILL after kill_grace."""
        if process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), self.kill_grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


def _query_failed(command: str, code: int | None, stderr: str) -> HelmFailed:
    cause = helm_error(stderr.splitlines()) or "(no output)"
    return HelmFailed(f"helm {command} exited {code}: {cause}")


async def _pump(
    stream: asyncio.StreamReader, kind: LogKind, log: LogSink, tail: deque[str] | None
) -> None:
    while True:
        try:
            raw = await stream.readline()
        except ValueError:  # a line longer than the limit: take what there is
            raw = await stream.read(_LINE_LIMIT)
        if not raw:
            return
        text = raw.decode(errors="replace").rstrip("\n")
        if tail is not None:
            tail.append(text)
        log(kind, text)

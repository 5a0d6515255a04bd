"""A `helm` test double: the subcommands naisd runs, with the real Helm engine for the chart and
a directory standing in for the cluster.

The tests put a `helm` script first on PATH that runs this module (helm_fixtures.py). It parses
exactly the flags naisd passes (an unknown flag is an error, as in helm). `helm upgrade
--install` locates CHART as helm does: `oci://HOST:PORT/REPO/NAME@sha256:…` is pulled from the
registry by helm-python-sdk (HTTPS, or plain HTTP with `--plain-http`), a local path (a chart
archive or directory) is loaded. The chart's version must equal --version. Helm's engine renders
it with the `-f` values, release name, namespace and revision (helm_double_chart.py). The
release, with its values and rendered manifest, is kept as one JSON file,
`$FAKE_HELM_CLUSTER/<namespace>/<release>.json`, whose revision goes up with each upgrade.

Errors are helm's: a pull or values failure prints `Error: <message>`; a template error
`Error: UPGRADE FAILED: <helm's message>` (a first install: without the prefix, as helm) and
leaves the release as it was.

What it does not cover: applying anything to a cluster (the manifest is not parsed as Kubernetes
objects), hooks, CRDs, waiting for resources (`--timeout` is only parsed), `--atomic`
rollbacks, and revision history (only the last revision is kept). The `real_cluster` tests run
the real helm for those.

Environment:
  FAKE_HELM_CLUSTER  the directory of releases (required)
  FAKE_HELM_CALLS    a file: one JSON line per call, {"pid": …, "argv": […]}
  FAKE_HELM_HANG     a path: upgrade/uninstall wait until it exists (status pending-*); SIGTERM
                     makes it print "Release … has been cancelled." and fail, like helm
  FAKE_HELM_IGNORE_TERM  "1": ignore SIGTERM while hanging (only SIGKILL ends it)
  FAKE_HELM_FAIL     a message: upgrade fails after rendering, "Error: UPGRADE FAILED: <message>"
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

Release = dict[str, object]
"""One release as the cluster directory keeps it (see `_upgrade` for the keys)."""


class _Error(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _Error(message)


def main(argv: list[str]) -> int:
    _record(argv)
    try:
        return _dispatch(argv)
    except _Error as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1


def _dispatch(argv: list[str]) -> int:
    if argv[:1] == ["version"]:
        print('version.BuildInfo{Version:"v4.2.3-fasit-double"}')
        return 0
    if argv[:1] == ["upgrade"]:
        return _upgrade(argv[1:])
    if argv[:1] == ["uninstall"]:
        return _uninstall(argv[1:])
    if argv[:1] == ["list"]:
        return _list(argv[1:])
    if argv[:2] == ["get", "values"]:
        return _get_values(argv[2:])
    raise _Error(f"unknown command {argv[:2]}")


# -- the cluster directory -----------------------------------------------------------------------


def release_path(cluster: Path, namespace: str, name: str) -> Path:
    return cluster / namespace / f"{name}.json"


def read_release(path: Path) -> Release | None:
    try:
        release: Release = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return release


def write_release(path: Path, release: Release) -> None:
    """Replace the file whole: `helm list` in another process never reads half a release."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(release), encoding="utf-8")
    partial.replace(path)


def _release_file(namespace: str, name: str) -> Path:
    return release_path(Path(os.environ["FAKE_HELM_CLUSTER"]), namespace, name)


def _record(argv: list[str]) -> None:
    calls = os.environ.get("FAKE_HELM_CALLS")
    if calls:
        with open(calls, "a", encoding="utf-8") as out:
            out.write(json.dumps({"pid": os.getpid(), "argv": argv}) + "\n")


# -- the subcommands -----------------------------------------------------------------------------


def _duration(text: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m)", text)
    if match is None:
        raise _Error(f'invalid argument "{text}" for "--timeout" flag')
    return int(match[1]) * {"ms": 0.001, "s": 1, "m": 60}[match[2]]


def _hang(release: Release, path: Path) -> None:
    """Wait for FAKE_HELM_HANG to exist, as a helm blocked on a cluster would."""
    gate = os.environ.get("FAKE_HELM_HANG")
    if not gate:
        return

    def cancelled(signum: int, frame: object) -> None:
        print(f"Release {release['name']} has been cancelled.", flush=True)
        release["status"] = "failed"
        write_release(path, release)
        sys.exit(1)

    if os.environ.get("FAKE_HELM_IGNORE_TERM") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, cancelled)
    print("waiting for resources to be ready", flush=True)
    while not Path(gate).exists():
        time.sleep(0.02)


def _upgrade(argv: list[str]) -> int:
    parser = _Parser(prog="helm upgrade", add_help=False)
    for flag in ("--install", "--atomic", "--cleanup-on-fail", "--create-namespace"):
        parser.add_argument(flag, action="store_true", required=True)
    for flag in ("--history-max", "--namespace", "--version", "--timeout"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--plain-http", action="store_true")
    parser.add_argument("-f", dest="values", required=True)
    parser.add_argument("--labels", default="")
    parser.add_argument("release")
    parser.add_argument("chart")
    args = parser.parse_args(argv)
    _duration(args.timeout)
    # Imported here, not at the top: only an upgrade needs the Helm library (85 MB).
    from tests.integration.agents import helm_double_chart as charts

    path = _release_file(args.namespace, args.release)
    previous = read_release(path)
    if previous is None:
        print(f'Release "{args.release}" does not exist. Installing it now.', flush=True)
    # helm prefixes what failed in an upgrade; a first install's error comes bare.
    failed = "UPGRADE FAILED: " if previous else ""
    revision = int(str(previous["revision"])) + 1 if previous else 1
    try:
        rendered = charts.render_release(
            args.chart,
            args.version,
            args.values,
            plain_http=args.plain_http,
            release=args.release,
            namespace=args.namespace,
            revision=revision,
        )
    except charts.ChartFailed as exc:
        raise _Error(str(exc)) from None
    except charts.TemplateFailed as exc:
        raise _Error(f"{failed}{exc}") from None
    release: Release = {
        "name": args.release,
        "namespace": args.namespace,
        "revision": revision,
        "chart": rendered.chart,
        "version": rendered.version,
        "app_version": rendered.app_version,
        "values": rendered.values,
        "manifest": rendered.manifest,
        "labels": dict(label.split("=", 1) for label in args.labels.split(",") if label),
        "status": "pending-install" if previous is None else "pending-upgrade",
        "updated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f +0000 UTC"),
    }
    write_release(path, release)
    _hang(release, path)
    failure = os.environ.get("FAKE_HELM_FAIL")
    if failure:
        release["status"] = "failed"
        write_release(path, release)
        raise _Error(f"{failed}{failure}")
    release["status"] = "deployed"
    write_release(path, release)
    if previous:
        print(f'Release "{args.release}" has been upgraded. Happy Helming!')
    print(f"NAME: {args.release}\nNAMESPACE: {args.namespace}\nSTATUS: deployed")
    print(f"REVISION: {revision}")
    return 0


def _uninstall(argv: list[str]) -> int:
    parser = _Parser(prog="helm uninstall", add_help=False)
    parser.add_argument("release")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--timeout", required=True)
    args = parser.parse_args(argv)
    _duration(args.timeout)
    path = _release_file(args.namespace, args.release)
    release = read_release(path)
    if release is None:
        raise _Error(f"uninstall: Release not loaded: {args.release}: release: not found")
    release["status"] = "uninstalling"
    write_release(path, release)
    _hang(release, path)
    path.unlink()
    print(f'release "{args.release}" uninstalled')
    return 0


def _list(argv: list[str]) -> int:
    parser = _Parser(prog="helm list", add_help=False)
    parser.add_argument("--all-namespaces", "-A", action="store_true")
    parser.add_argument("--all", "-a", action="store_true")
    parser.add_argument("--namespace", "-n")
    parser.add_argument("--filter", "-f")
    parser.add_argument("--output", "-o", choices=["json"], required=True)
    args = parser.parse_args(argv)
    if not args.all_namespaces and not args.namespace:
        raise _Error("the double needs --all-namespaces or --namespace")
    shown = []
    for path in sorted(Path(os.environ["FAKE_HELM_CLUSTER"]).glob("*/*.json")):
        release = read_release(path)
        if release is None:  # uninstalled since the glob
            continue
        if args.namespace and release["namespace"] != args.namespace:
            continue
        if args.filter and not re.search(args.filter, str(release["name"])):
            continue
        if not args.all and release["status"] not in ("deployed", "failed"):
            continue
        shown.append(
            {
                "name": release["name"],
                "namespace": release["namespace"],
                "revision": str(release["revision"]),
                "updated": release["updated"],
                "status": release["status"],
                "chart": f"{release['chart']}-{release['version']}",
                "app_version": release["app_version"],
            }
        )
    print(json.dumps(shown))
    return 0


def _get_values(argv: list[str]) -> int:
    parser = _Parser(prog="helm get values", add_help=False)
    parser.add_argument("release")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--revision", type=int)
    parser.add_argument("--output", choices=["json"], required=True)
    args = parser.parse_args(argv)
    release = read_release(_release_file(args.namespace, args.release))
    if release is None:
        raise _Error("release: not found")
    if args.revision is not None and args.revision != release["revision"]:
        raise _Error(f"release: revision {args.revision} not found (the double keeps the last)")
    print(json.dumps(release["values"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

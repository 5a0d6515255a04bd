"""A `helm` test double: the subcommands naisd runs, over a directory standing in for a cluster.

The tests put a `helm` script first on PATH that runs this file. It parses exactly the flags
naisd passes (an unknown flag is an error, as in helm), reads the chart from a local chart
directory (CHART is a path: Chart.yaml's version must equal --version), and keeps releases as
`$FAKE_HELM_CLUSTER/<namespace>/<release>.json`, printing helm-like output.

What it does not cover: pulling from a registry, rendering templates, applying anything to a
cluster, hooks, waits and rollbacks (`--atomic` is accepted, nothing is rolled back). The
`real_cluster` tests run the real helm for those.

Environment:
  FAKE_HELM_CLUSTER  the directory of releases (required)
  FAKE_HELM_CALLS    a file: one JSON line per call, {"pid": …, "argv": […]}
  FAKE_HELM_HANG     a path: upgrade/uninstall wait until it exists (status pending-*); SIGTERM
                     makes it print "Release … has been cancelled." and fail, like helm
  FAKE_HELM_IGNORE_TERM  "1": ignore SIGTERM while hanging (only SIGKILL ends it)
  FAKE_HELM_FAIL     a message: upgrade fails with "Error: UPGRADE FAILED: <message>"
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

import yaml


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
        print('version.BuildInfo{Version:"v3.99.0-fasit-double"}')
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


def _cluster() -> Path:
    return Path(os.environ["FAKE_HELM_CLUSTER"])


def _record(argv: list[str]) -> None:
    calls = os.environ.get("FAKE_HELM_CALLS")
    if calls:
        with open(calls, "a", encoding="utf-8") as out:
            out.write(json.dumps({"pid": os.getpid(), "argv": argv}) + "\n")


def _release_file(namespace: str, name: str) -> Path:
    return _cluster() / namespace / f"{name}.json"


def _write(path: Path, release: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(release), encoding="utf-8")


def _duration(text: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m)", text)
    if match is None:
        raise _Error(f'invalid argument "{text}" for "--timeout" flag')
    return int(match[1]) * {"ms": 0.001, "s": 1, "m": 60}[match[2]]


def _hang(release: dict[str, object], path: Path) -> None:
    """Wait for FAKE_HELM_HANG to exist, as a helm blocked on a cluster would."""
    gate = os.environ.get("FAKE_HELM_HANG")
    if not gate:
        return

    def cancelled(signum: int, frame: object) -> None:
        print(f"Release {release['name']} has been cancelled.", flush=True)
        release["status"] = "failed"
        _write(path, release)
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
    parser.add_argument("-f", dest="values", required=True)
    parser.add_argument("--labels", default="")
    parser.add_argument("release")
    parser.add_argument("chart")
    args = parser.parse_args(argv)
    _duration(args.timeout)
    chart = _chart(Path(args.chart), args.version)
    values = yaml.safe_load(Path(args.values).read_text(encoding="utf-8")) or {}
    if not isinstance(values, dict):
        raise _Error(f"values file {args.values} is not a mapping")
    path = _release_file(args.namespace, args.release)
    previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    if previous is None:
        print(f'Release "{args.release}" does not exist. Installing it now.', flush=True)
    revision = int(previous["revision"]) + 1 if previous else 1
    release: dict[str, object] = {
        "name": args.release,
        "namespace": args.namespace,
        "revision": revision,
        "chart": chart["name"],
        "version": chart["version"],
        "app_version": str(chart.get("appVersion", "")),
        "values": values,
        "labels": dict(label.split("=", 1) for label in args.labels.split(",") if label),
        "status": "pending-install" if previous is None else "pending-upgrade",
        "updated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f +0000 UTC"),
    }
    _write(path, release)
    _hang(release, path)
    failure = os.environ.get("FAKE_HELM_FAIL")
    if failure:
        release["status"] = "failed"
        _write(path, release)
        print(f"Error: UPGRADE FAILED: {failure}", file=sys.stderr)
        return 1
    release["status"] = "deployed"
    _write(path, release)
    print(f'Release "{args.release}" has been upgraded. Happy Helming!')
    print(f"NAME: {args.release}\nNAMESPACE: {args.namespace}\nSTATUS: deployed")
    print(f"REVISION: {revision}")
    return 0


def _chart(directory: Path, version: str) -> dict[str, object]:
    chart_yaml = directory / "Chart.yaml"
    if not chart_yaml.is_file():
        raise _Error(f"path {str(directory)!r} not found")
    chart = yaml.safe_load(chart_yaml.read_text(encoding="utf-8"))
    if str(chart.get("version")) != version:
        raise _Error(f"chart {directory} has version {chart.get('version')}, not {version}")
    return dict(chart)


def _uninstall(argv: list[str]) -> int:
    parser = _Parser(prog="helm uninstall", add_help=False)
    parser.add_argument("release")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--timeout", required=True)
    args = parser.parse_args(argv)
    _duration(args.timeout)
    path = _release_file(args.namespace, args.release)
    if not path.exists():
        raise _Error(f"uninstall: Release not loaded: {args.release}: release: not found")
    release = json.loads(path.read_text(encoding="utf-8"))
    release["status"] = "uninstalling"
    _write(path, release)
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
    for path in sorted(_cluster().glob("*/*.json")):
        release = json.loads(path.read_text(encoding="utf-8"))
        if args.namespace and release["namespace"] != args.namespace:
            continue
        if args.filter and not re.search(args.filter, release["name"]):
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
    path = _release_file(args.namespace, args.release)
    if not path.exists():
        raise _Error("release: not found")
    release = json.loads(path.read_text(encoding="utf-8"))
    if args.revision is not None and args.revision != release["revision"]:
        raise _Error(f"release: revision {args.revision} not found (the double keeps the last)")
    print(json.dumps(release["values"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

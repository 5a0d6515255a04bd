"""A `helm` test double (Helm 4): the subcommands naisd runs, with the real Helm engine for the
chart and a directory standing in for the cluster.

The tests put a `helm` script first on PATH that runs this module (helm_fixtures.py). It parses
exactly the flags naisd passes (an unknown flag is an error, as in helm; so is Helm 3's
`--atomic`, which Helm 4 renamed `--rollback-on-failure`). `helm upgrade
--install` locates CHART as helm does: `oci://HOST:PORT/REPO/NAME@sha256:…` is pulled from the
registry by helm-python-sdk (HTTPS, or plain HTTP with `--plain-http`), a local path (a chart
archive or directory) is loaded. The chart's version must equal --version. Helm's engine renders
it with the `-f` values, release name, namespace and revision (helm_double_chart.py). The
release, with its values, labels and rendered manifest, is kept as one JSON file,
`$FAKE_HELM_CLUSTER/<namespace>/<release>.json`, whose revision goes up with each upgrade.
`--labels k=v,…` merge into the release's labels as Helm's do (`k=null` removes one); a
label Helm reserves, or one Kubernetes would refuse on the release's Secret, fails the
upgrade. `helm get metadata -o json` prints them in Helm's shape.

Errors are helm's: a pull or values failure prints `Error: <message>`; a template error
`Error: UPGRADE FAILED: <helm's message>` (a first install: without the prefix, as helm) and
leaves the release as it was.

What it does not cover: applying anything to a cluster (the manifest is not parsed as Kubernetes
objects), hooks, CRDs, waiting for resources (`--timeout` is only parsed),
`--rollback-on-failure` rollbacks, and revision history (only the last revision is kept). The
`real_cluster` tests run the real helm for those.

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
    if argv[:2] == ["get", "metadata"]:
        return _get_metadata(argv[2:])
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
    for flag in ("--install", "--rollback-on-failure", "--cleanup-on-fail", "--create-namespace"):
        parser.add_argument(flag, action="store_true", required=True)
    for flag in ("--history-max", "--namespace", "--version", "--timeout"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--plain-http", action="store_true")
    parser.add_argument("-f", dest="values", required=True)
    parser.add_argument("--labels", type=_labels, default={})
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
    labels = _merged_labels(previous, args.labels, failed)
    release: Release = {
        "name": args.release,
        "namespace": args.namespace,
        "revision": revision,
        "chart": rendered.chart,
        "version": rendered.version,
        "app_version": rendered.app_version,
        "values": rendered.values,
        "manifest": rendered.manifest,
        "labels": labels,
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
    parser.add_argument("--max", "-m", type=int, default=256)
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
    # Helm sorts by name, then keeps the first --max (0: all).
    shown.sort(key=lambda entry: str(entry["name"]))
    print(json.dumps(shown[: args.max] if args.max > 0 else shown))
    return 0


def _get_metadata(argv: list[str]) -> int:
    parser = _Parser(prog="helm get metadata", add_help=False)
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
    # Helm's action.Metadata, as `--output json` encodes it (empty labels left out).
    deployed = datetime.strptime(str(release["updated"])[:19], "%Y-%m-%d %H:%M:%S")
    metadata: dict[str, object] = {
        "name": release["name"],
        "chart": release["chart"],
        "version": release["version"],
        "appVersion": release["app_version"],
        **({"labels": release["labels"]} if release.get("labels") else {}),
        "namespace": release["namespace"],
        "revision": release["revision"],
        "status": release["status"],
        "deployedAt": deployed.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    print(json.dumps(metadata))
    return 0


# -- release labels ------------------------------------------------------------------------------

# Helm's own labels on a release's Secret (driver.GetSystemLabels()).
_SYSTEM_LABELS = ("name", "owner", "status", "version", "createdAt", "modifiedAt")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _labels(text: str) -> dict[str, str]:
    """`--labels` as cobra's StringToString reads it: k=v pairs, comma-separated."""
    pairs: dict[str, str] = {}
    for item in text.split(","):
        key, equals, value = item.partition("=")
        if not equals:
            raise _Error(
                f'invalid argument "{text}" for "-l, --labels" flag: {item} must be'
                " formatted as key=value"
            )
        pairs[key] = value
    return pairs


def _merged_labels(previous: Release | None, given: dict[str, str], failed: str) -> dict[str, str]:
    """The labels of the new revision: the previous revision's, updated by `given` (a value
    `null` removes the label), refused as Helm (reserved names) and Kubernetes (syntax) do."""
    if any(key in _SYSTEM_LABELS for key in given):
        raise _Error(
            f"{failed}user supplied labels contains system reserved label name. System labels:"
            f" [{' '.join(_SYSTEM_LABELS)}]"
        )
    old = previous.get("labels") if previous else None
    labels = dict(old) if isinstance(old, dict) else {}
    for key, value in given.items():
        if value == "null":
            labels.pop(key, None)
        else:
            labels[key] = value
    for key, value in labels.items():
        problem = _label_problem(key, value)
        if problem:
            raise _Error(
                f"{failed}create: failed to create: Secret is invalid: metadata.labels: {problem}"
            )
    return labels


def _label_problem(key: str, value: str) -> str:
    """What the Kubernetes API server says of an invalid label, or ""."""
    prefix, slash, name = key.rpartition("/")
    if slash and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return f'Invalid value: "{key}": prefix part must be a lowercase RFC 1123 subdomain'
    if len(name) > 63 or not _LABEL_NAME.fullmatch(name):
        return f'Invalid value: "{key}": name part must be a valid label name of at most 63'
    if len(value) > 63:
        return f'Invalid value: "{value}": must be no more than 63 characters'
    if value and not _LABEL_NAME.fullmatch(value):
        return (
            f'Invalid value: "{value}": a valid label must be an empty string or consist of'
            " alphanumeric characters, '-', '_' or '.', and must start and end with an"
            " alphanumeric character"
        )
    return ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A real OCI registry on 127.0.0.1 (Debian's `docker-registry`, CNCF distribution 2.8) and a
pusher of real Helm-format charts, for the OCI chart tests.

The pusher speaks the distribution API with requests (monolithic blob upload, manifest PUT), so
tests can also push what Helm never would: a wrong media type, a chart without Feature.yaml.
Helm's format: an OCI image manifest whose config is Chart.yaml as JSON
(`application/vnd.cncf.helm.config.v1+json`) and whose one layer is the packaged chart
(`application/vnd.cncf.helm.chart.content.v1.tar+gzip`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import socket
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Final, Self

import bcrypt
import helm_python
import requests
import yaml

from fasit.charts import package_chart
from tests.integration.processes import (
    LOOPBACK,
    READY_TIMEOUT,
    ProcessServer,
    ServerFailed,
    ServerProcess,
    free_port,
)

REGISTRY_USERNAME: Final = "ci"
REGISTRY_PASSWORD: Final = "registry-s3cret"
HELM_CONFIG: Final = "application/vnd.cncf.helm.config.v1+json"
HELM_LAYER: Final = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
OCI_MANIFEST: Final = "application/vnd.oci.image.manifest.v1+json"


FEATURE_YAML: Final = "environmentKinds: [tenant]\nvalues:\n  replicas:\n    config: {type: int}\n"
# A ConfigMap named for the release, holding the value `replicas`.
CONFIGMAP_TEMPLATE: Final = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
    "data:\n  replicas: {{ .Values.replicas | quote }}\n"
)


@dataclass
class Chart:
    """A Helm chart's files; `archive()` packages them as `helm package` would lay them out."""

    name: str
    version: str
    files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def helm(
        cls,
        name: str,
        version: str,
        feature: str | None = FEATURE_YAML,
        *,
        templates: Mapping[str, str] | None = None,
    ) -> Chart:
        """Chart.yaml, values.yaml (`replicas: 1`), `feature` as Feature.yaml (None: none) and
        `templates` by file name under templates/ (default: CONFIGMAP_TEMPLATE)."""
        files = {
            "Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\ntype: application\n",
            "values.yaml": "replicas: 1\n",
        }
        for file_name, text in (templates or {"configmap.yaml": CONFIGMAP_TEMPLATE}).items():
            files[f"templates/{file_name}"] = text
        if feature is not None:
            files["Feature.yaml"] = feature
        return cls(name, version, files)

    def archive(self) -> bytes:
        return package_chart(self.name, {p: t.encode() for p, t in self.files.items()}).archive

    def config(self) -> bytes:
        return json.dumps(yaml.safe_load(self.files.get("Chart.yaml", "{}"))).encode()


class HelmPackagedChart(Chart):
    """The same files, packaged by Helm's own engine (`helm_python.package`), gzip header and
    all: Helm's carries an extra field and a comment."""

    def archive(self) -> bytes:
        with tempfile.TemporaryDirectory() as scratch:
            chart_dir = Path(scratch) / self.name
            for path, text in self.files.items():
                (chart_dir / path).parent.mkdir(parents=True, exist_ok=True)
                (chart_dir / path).write_text(text)
            return Path(helm_python.package(chart_dir, destination=scratch)).read_bytes()


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class OciRegistry(ProcessServer):
    """`docker-registry serve` on a free loopback port; with `htpasswd`, basic auth required.

    Its JSON log holds one line per request, with the user agent: `requests_from("fasit")`
    counts what fasit asked, which is how a test proves a warm cache asks nothing.
    """

    def __init__(self, root: Path, *, basic_auth: bool = False) -> None:
        binary = shutil.which("docker-registry")
        if binary is None:
            raise ServerFailed("docker-registry is not installed (make test installs it)")
        self.root = root
        self.basic_auth = basic_auth
        self.port = free_port()
        root.mkdir(parents=True, exist_ok=True)
        config: dict[str, object] = {
            "version": 0.1,
            "log": {"level": "info", "formatter": "json", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
            "http": {"addr": f"{LOOPBACK}:{self.port}", "secret": "fasit-test"},
        }
        if basic_auth:
            hashed = bcrypt.hashpw(REGISTRY_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
            (root / "htpasswd").write_text(f"{REGISTRY_USERNAME}:{hashed}\n")
            config["auth"] = {"htpasswd": {"realm": "fasit-test", "path": str(root / "htpasswd")}}
        (root / "config.yml").write_text(yaml.safe_dump(config))
        self._process = ServerProcess(
            "docker-registry",
            [binary, "serve", str(root / "config.yml")],
            {"PATH": "/usr/bin:/bin"},
            root / "registry.log",
        )

    def start(self) -> None:
        self._process.start(self.port, READY_TIMEOUT)

    @property
    def host(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def url(self, repository: str) -> str:
        return f"oci://{self.host}/{repository}"

    def requests_from(self, user_agent_prefix: str) -> list[str]:
        """'METHOD URI' of each request whose user agent starts with the prefix."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if str(entry.get("http.request.useragent", "")).startswith(user_agent_prefix):
                found.append(f"{entry['http.request.method']} {entry['http.request.uri']}")
        return found

    def blob_path(self, digest: str) -> Path:
        hexdigest = digest.removeprefix("sha256:")
        return (
            self.root / "data/docker/registry/v2/blobs/sha256" / hexdigest[:2] / hexdigest / "data"
        )

    def manifest_digest(self, repository: str, tag: str) -> str:
        """The digest the registry itself gives for `repository:tag` (Docker-Content-Digest)."""
        with self._session() as session:
            response = session.head(
                f"http://{self.host}/v2/{repository}/manifests/{tag}",
                headers={"Accept": OCI_MANIFEST},
                timeout=10,
            )
            response.raise_for_status()
        return response.headers["Docker-Content-Digest"]

    # --- pushing -----------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = requests.Session()
        if self.basic_auth:
            session.auth = (REGISTRY_USERNAME, REGISTRY_PASSWORD)
        return session

    def push_blob(self, repository: str, data: bytes) -> str:
        digest = digest_of(data)
        base = f"http://{self.host}/v2/{repository}/blobs/uploads/"
        with self._session() as session:
            started = session.post(base, timeout=10)
            started.raise_for_status()
            location = started.headers["Location"]
            separator = "&" if "?" in location else "?"
            put = session.put(
                f"{location}{separator}digest={digest}",
                data=data,
                headers={"Content-Type": "application/octet-stream"},
                timeout=10,
            )
            put.raise_for_status()
        return digest

    def push_manifest(self, repository: str, tag: str, manifest: dict[str, object]) -> str:
        body = json.dumps(manifest).encode()
        with self._session() as session:
            response = session.put(
                f"http://{self.host}/v2/{repository}/manifests/{tag}",
                data=body,
                headers={"Content-Type": str(manifest.get("mediaType", OCI_MANIFEST))},
                timeout=10,
            )
            response.raise_for_status()
        return digest_of(body)

    def push_chart(
        self,
        repository: str,
        chart: Chart,
        *,
        tag: str | None = None,
        config_type: str = HELM_CONFIG,
        layer_type: str = HELM_LAYER,
    ) -> Pushed:
        """Push `chart` as Helm does; returns the manifest's digest and the layer's."""
        config = chart.config()
        layer = chart.archive()
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": config_type, "digest": digest_of(config), "size": len(config)},
            "layers": [{"mediaType": layer_type, "digest": digest_of(layer), "size": len(layer)}],
            "annotations": {"org.opencontainers.image.title": chart.name},
        }
        self.push_blob(repository, config)
        self.push_blob(repository, layer)
        digest = self.push_manifest(repository, tag or chart.version.replace("+", "_"), manifest)
        return Pushed(digest, digest_of(layer))


@dataclass(frozen=True)
class Pushed:
    manifest: str
    layer: str


class StalledServer:
    """Accepts TCP connections on loopback and never answers: a registry that hangs."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind((LOOPBACK, 0))
        self._socket.listen(64)
        self.port: int = self._socket.getsockname()[1]
        self.host = f"{LOOPBACK}:{self.port}"

    def __enter__(self) -> StalledServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._socket.close()


class QuietHandler:
    """Mixed into a request handler: keeps the test output clean."""

    def log_message(self, format: str, *args: object) -> None:
        pass


class LoopbackRegistryServer:
    """A registry-shaped HTTP server of the test's own on 127.0.0.1, run in a thread while the
    `with` block lasts; subclasses say how it answers (`_handler`)."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer((LOOPBACK, 0), self._handler())
        self._server.daemon_threads = True
        self.host = f"{LOOPBACK}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, repository: str) -> str:
        return f"oci://{self.host}/{repository}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError


class BearerGateway(LoopbackRegistryServer):
    """A registry that wants bearer tokens, as ghcr.io and Harbor do: a token service plus an
    auth gateway in front of a real `OciRegistry`.

    `GET /token` with basic auth `REGISTRY_USERNAME`/`REGISTRY_PASSWORD` issues a token;
    `/v2/...` with a token it issued is passed to the registry behind, anything else gets 401
    and a `Bearer realm=…,service=…,scope=…` challenge.
    """

    def __init__(self, backend: OciRegistry) -> None:
        self.backend = backend
        self.tokens: set[str] = set()
        super().__init__()

    def issue(self) -> str:
        token = f"token-{len(self.tokens) + 1}"
        self.tokens.add(token)
        return token

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(QuietHandler, BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve("GET")

            def do_HEAD(self) -> None:
                self._serve("HEAD")

            def _serve(self, method: str) -> None:
                if self.path.startswith("/token"):
                    self._token()
                elif (
                    self.headers.get("Authorization", "").removeprefix("Bearer ") in gateway.tokens
                ):
                    self._proxy(method)
                else:
                    self._challenge()

            def _token(self) -> None:
                expected = base64.b64encode(f"{REGISTRY_USERNAME}:{REGISTRY_PASSWORD}".encode())
                if self.headers.get("Authorization", "") != f"Basic {expected.decode()}":
                    self._reply(401, b'{"errors": [{"code": "DENIED"}]}', {})
                    return
                body = json.dumps({"token": gateway.issue()}).encode()
                self._reply(200, body, {"Content-Type": "application/json"})

            def _challenge(self) -> None:
                name = self.path.removeprefix("/v2/").rsplit("/", 2)[0]
                challenge = f'Bearer realm="http://{gateway.host}/token",service="gateway"' + (
                    f',scope="repository:{name}:pull"' if name else ""
                )
                body = b'{"errors": [{"code": "UNAUTHORIZED"}]}'
                self._reply(401, body, {"WWW-Authenticate": challenge})

            def _proxy(self, method: str) -> None:
                upstream = requests.request(
                    method,
                    f"http://{gateway.backend.host}{self.path}",
                    headers={"Accept": self.headers.get("Accept", "*/*")},
                    timeout=10,
                )
                kept = ("Content-Type", "Docker-Content-Digest")
                headers = {k: upstream.headers[k] for k in kept if k in upstream.headers}
                self._reply(upstream.status_code, upstream.content, headers, method == "HEAD")

            def _reply(
                self, status: int, body: bytes, headers: dict[str, str], head: bool = False
            ) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

        return Handler

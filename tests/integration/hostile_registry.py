"""A registry that lies about digests, for the tests that fasit never lets one name a path.

It answers `GET /v2/` (no auth), a HEAD or GET of any manifest with one fixed manifest, and
everything else with 404. The manifest and the `Docker-Content-Digest` header are whatever the
test gives it, so a layer or config descriptor can carry `sha256:/path/of/a/victim`. Its tag
list (`tags`) comes in pages of `?n=` with a `Link: rel="next"`; `endless` links on forever,
`looping` links every page to itself, `next_link` replaces the link's target, and `tag_body`
replaces the whole listing. With `missing`, every manifest is unknown (404), as for a missing tag.
"""

from __future__ import annotations

import hashlib
import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.integration.oci_registry import (
    HELM_CONFIG,
    HELM_LAYER,
    OCI_MANIFEST,
    LoopbackRegistryServer,
    QuietHandler,
)


def helm_manifest(*, config: str | None = None, layer: str | None = None) -> dict[str, object]:
    """A Helm chart's manifest; `config` and `layer` replace its descriptors' digests."""
    valid = "sha256:" + hashlib.sha256(b"{}").hexdigest()
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": HELM_CONFIG, "digest": config or valid, "size": 2},
        "layers": [{"mediaType": HELM_LAYER, "digest": layer or valid, "size": 2}],
    }


class HostileRegistry(LoopbackRegistryServer):
    """Serves `manifest` for every tag, announcing `header_digest` (default: its real one)."""

    def __init__(self, manifest: dict[str, object], header_digest: str | None = None) -> None:
        self.body = json.dumps(manifest).encode()
        self.digest = header_digest or "sha256:" + hashlib.sha256(self.body).hexdigest()
        self.paths: list[str] = []
        self.tags: list[str] = []
        self.endless = False
        self.looping = False
        self.next_link: str | None = None
        self.tag_body: bytes | None = None
        self.missing = False
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        registry = self

        class Handler(QuietHandler, BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve(head=False)

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def _serve(self, head: bool) -> None:
                registry.paths.append(self.path)
                if self.path == "/v2/":
                    self._reply(200, b"{}", "application/json", head)
                elif "/tags/list" in self.path:
                    self._tags(head)
                elif "/manifests/" in self.path and registry.missing:
                    self._reply(404, b'{"errors": [{"code": "MANIFEST_UNKNOWN"}]}', "", head)
                elif "/manifests/" in self.path:
                    self._reply(200, registry.body, OCI_MANIFEST, head)
                else:
                    self._reply(404, b'{"errors": [{"code": "BLOB_UNKNOWN"}]}', "", head)

            def _tags(self, head: bool) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                size = int(query.get("n", ["100"])[0])
                last = query.get("last", [""])[0]
                after = registry.tags.index(last) + 1 if last in registry.tags else 0
                page = registry.tags[after : after + size]
                if registry.endless:
                    page = [f"{last or 'x'}.{i}" for i in range(size)]
                more = registry.endless or after + size < len(registry.tags)
                target = f"{url.path}?n={size}&last={page[-1]}" if more else ""
                if registry.looping:
                    target = self.path
                target = registry.next_link or target
                link = f'<{target}>; rel="next"' if target else ""
                body = registry.tag_body or json.dumps({"name": "x", "tags": page}).encode()
                self._reply(200, body, "application/json", head, link)

            def _reply(
                self, status: int, body: bytes, content_type: str, head: bool, link: str = ""
            ) -> None:
                self.send_response(status)
                if link:
                    self.send_header("Link", link)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Docker-Content-Digest", registry.digest)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

        return Handler

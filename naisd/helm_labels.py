"""The Helm release labels naisd sets on each release, and reads back for the inventory.

fasit's bookkeeping travels as release labels (`helm upgrade --labels`), never as chart values:
a chart whose values.schema.json forbids unknown keys must get exactly the values fasit
planned. Helm stores the labels with the release (on its Secret, so each must be a valid
Kubernetes label: a value is at most 63 characters of [A-Za-z0-9-_.]) and prints them with
`helm get metadata --output json`.

- `fasit.release-hash`: the release hash, its sha256 digest in unpadded lowercase base32
  (52 characters; hex would be 64, one too many). A restarted naisd reports what runs from it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from naisd.errors import NaisdError

__all__ = ["HASH_LABEL", "hash_label", "label_args", "release_hash_of"]

HASH_LABEL = "fasit.release-hash"
_HASH = re.compile(r"sha256:([0-9a-f]{64})")
_LABEL = re.compile(r"[a-z2-7]{52}")
# Helm merges an upgrade's labels into the release's; this value removes one.
_UNSET = "null"


class _NotOurs(NaisdError, ValueError):
    pass


def hash_label(release_hash: str) -> str | None:
    """The release hash as a label value (52 base32 characters), or None if not sha256:<hex>."""
    match = _HASH.fullmatch(release_hash)
    if match is None:
        return None
    return base64.b32encode(bytes.fromhex(match[1])).decode().rstrip("=").lower()


def label_args(release_hash: str) -> list[str]:
    """`--labels` for an install: the hash label, or its removal when there is no hash (Helm
    keeps the labels of the previous revision otherwise, and it would report a stale hash)."""
    return ["--labels", f"{HASH_LABEL}={hash_label(release_hash) or _UNSET}"]


def release_hash_of(metadata_json: str) -> str:
    """The release hash from the labels in `helm get metadata --output json`, or "" (a release
    deployed by someone else, or a label that is not one naisd writes).

    Raises ValueError when the output is not a JSON object (helm printed something else).
    """
    metadata = json.loads(metadata_json or "null")
    if not isinstance(metadata, dict):
        raise ValueError(f"not a JSON object: {metadata_json[:200]!r}")
    labels = metadata.get("labels")
    label = labels.get(HASH_LABEL) if isinstance(labels, dict) else None
    try:
        return _decoded(label)
    except _NotOurs:
        return ""


def _decoded(label: object) -> str:
    if not isinstance(label, str) or _LABEL.fullmatch(label) is None:
        raise _NotOurs
    try:
        digest = base64.b32decode(label.upper() + "====")
    except binascii.Error as exc:
        raise _NotOurs from exc
    return "sha256:" + digest.hex()

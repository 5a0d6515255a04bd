"""What the Dockerfile promises (docs/container.md), checked as text: Docker is not in CI."""

from __future__ import annotations

import re
from pathlib import Path

DOCKERFILE = (Path(__file__).parents[2] / "Dockerfile").read_text(encoding="utf-8")


def stage(name: str) -> str:
    """The instructions of one build stage."""
    match = re.search(rf"^FROM \S+ AS {name}\n(.*?)(?=^FROM |\Z)", DOCKERFILE, re.M | re.S)
    assert match is not None, f"no stage {name}"
    return match.group(1)


def test_both_images_run_as_a_non_root_user() -> None:
    for name, uid in (("fasit", "10001"), ("naisd", "10002")):
        assert re.search(rf"^USER {uid}:{uid}$", stage(name), re.M), name


def test_the_fasit_image_runs_fasit_serve() -> None:
    assert 'ENTRYPOINT ["fasit", "serve"]' in stage("fasit")


def test_the_naisd_image_runs_naisd_with_helm() -> None:
    naisd = stage("naisd")
    assert "COPY --from=helm /usr/local/bin/helm /usr/local/bin/helm" in naisd
    assert naisd.rstrip().endswith('ENTRYPOINT ["naisd", "--state-dir", "/var/lib/naisd"]')


def test_helm_is_pinned_and_refused_unless_its_checksum_matches() -> None:
    helm = stage("helm")
    assert re.search(r"^ARG HELM_VERSION=\d+\.\d+\.\d+$", helm, re.M)
    assert re.search(r"^ARG HELM_SHA256=[0-9a-f]{64}$", helm, re.M)
    assert 'echo "${HELM_SHA256}  /tmp/helm.tgz" | sha256sum --check --strict -' in helm

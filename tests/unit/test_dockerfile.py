"""What the Dockerfile promises (docs/container.md), checked as text: Docker is not in CI."""

from __future__ import annotations

import re
from pathlib import Path

import helm_python

from fasit.serve import ServeConfig

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


def test_the_fasit_image_default_command_passes_the_loopback_rule(tmp_path: Path) -> None:
    environment = dict(re.findall(r"\b(FASIT_[A-Z_]+)=(\S+)", stage("fasit")))
    host, _, port = environment["FASIT_HTTP_ADDR"].rpartition(":")
    assert host == "0.0.0.0"  # what a container's published port reaches

    config = ServeConfig(  # raises, as `fasit serve` would, if the image's settings break it
        status_db=tmp_path / "status.db",
        state_dir=tmp_path,
        fake_agents=True,
        http_host=host,
        http_port=int(port),
        open_dashboard=environment.get("FASIT_INSECURE_OPEN_DASHBOARD") == "true",
    )

    assert config.open_dashboard


def test_the_naisd_image_runs_naisd_with_helm() -> None:
    naisd = stage("naisd")
    assert "COPY --from=helm /usr/local/bin/helm /usr/local/bin/helm" in naisd
    assert naisd.rstrip().endswith('ENTRYPOINT ["naisd", "--state-dir", "/var/lib/naisd"]')


def test_the_image_ships_the_helm_the_tests_render_charts_with() -> None:
    pinned = re.search(r"^ARG HELM_VERSION=(\S+)$", stage("helm"), re.M)
    assert pinned is not None

    # The helm double renders with this engine: the image must run the same release.
    assert f"v{pinned[1]}" == helm_python.helm_sdk_version()


def test_helm_is_pinned_and_refused_unless_its_checksum_matches() -> None:
    helm = stage("helm")
    assert re.search(r"^ARG HELM_VERSION=\d+\.\d+\.\d+$", helm, re.M)
    assert re.search(r"^ARG HELM_SHA256=[0-9a-f]{64}$", helm, re.M)
    assert 'echo "${HELM_SHA256}  /tmp/helm.tgz" | sha256sum --check --strict -' in helm

# syntax=docker/dockerfile:1
#
# Two images from one file (docs/container.md):
#   docker build --target fasit -t fasit .   # the controller: `fasit serve`
#   docker build --target naisd -t naisd .   # the agent, with a pinned, checksum-verified helm
# Both run as a non-root user. Docker does not run in this project's CI: keep this simple.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- build: the project and its runtime dependencies into one virtual environment -------------
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md requirements-runtime.lock ./
COPY fasit ./fasit
COPY fasit_proto ./fasit_proto
COPY naisd ./naisd
# Every package from the lock, with its hashes; the project built by the locked backend.
RUN python -m venv /opt/fasit \
    && /opt/fasit/bin/pip install --no-cache-dir --require-hashes --no-deps \
        -r requirements-runtime.lock \
    && /opt/fasit/bin/pip install --no-cache-dir --no-deps --no-build-isolation .

# -- helm: a pinned release, refused unless its archive has the pinned SHA-256 ---------------
FROM ${PYTHON_IMAGE} AS helm
# linux-amd64 only. Helm 4, the same release whose engine the tests render charts with
# (helm-python-sdk 0.2.2 embeds v4.2.3; tests/unit/test_dockerfile.py keeps them equal).
# To move the pin, take the SHA-256 from
# https://get.helm.sh/helm-v<VERSION>-linux-amd64.tar.gz.sha256sum and verify it
# (docs/container.md says how).
ARG HELM_VERSION=4.2.3
ARG HELM_SHA256=e9b88b4ee95b18c706839c28d3a0220e5bc470e9cd9262410c90793c45ff8b7c
RUN python -c "import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], '/tmp/helm.tgz')" \
        "https://get.helm.sh/helm-v${HELM_VERSION}-linux-amd64.tar.gz" \
    && echo "${HELM_SHA256}  /tmp/helm.tgz" | sha256sum --check --strict - \
    && tar -xzf /tmp/helm.tgz -C /tmp linux-amd64/helm \
    && install -m 0755 /tmp/linux-amd64/helm /usr/local/bin/helm \
    && rm -rf /tmp/helm.tgz /tmp/linux-amd64 \
    && test "$(helm version --template '{{.Version}}')" = "v${HELM_VERSION}"

# -- fasit: the controller -------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS fasit
# ssh for git remotes over ssh:// (dulwich runs the ssh client); nothing else is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /var/lib/fasit fasit
COPY --from=build /opt/fasit /opt/fasit
USER 10001:10001
WORKDIR /var/lib/fasit
# A container's port is reached through 0.0.0.0, which fasit serve refuses without
# authentication unless told otherwise: the image says so, to keep the demo one command.
# In production give FASIT_API_TOKENS (then the flag changes nothing) -- docs/access.md.
ENV PATH=/opt/fasit/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    FASIT_HTTP_ADDR=0.0.0.0:8080 \
    FASIT_INSECURE_OPEN_DASHBOARD=true \
    FASIT_GRPC_ADDR=0.0.0.0:9090 \
    FASIT_STATUS_DB=/var/lib/fasit/status.db \
    FASIT_LOG_FORMAT=json
EXPOSE 8080 9090
# SIGTERM stops it within 10 s (docker stop's default grace).
ENTRYPOINT ["fasit", "serve"]

# -- naisd: the agent ------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS naisd
RUN useradd --system --uid 10002 --create-home --home-dir /var/lib/naisd naisd
COPY --from=helm /usr/local/bin/helm /usr/local/bin/helm
COPY --from=build /opt/fasit /opt/fasit
USER 10002:10002
WORKDIR /var/lib/naisd
ENV PATH=/opt/fasit/bin:$PATH PYTHONUNBUFFERED=1
ENTRYPOINT ["naisd", "--state-dir", "/var/lib/naisd"]

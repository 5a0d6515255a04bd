# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
# Both set up everything they need: Debian packages (only when missing), a venv, the project.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the tests drive for real (commands they provide, checked before apt-get);
# chromium is the browser of tests/browser/ (through Playwright, which never downloads one);
# node and npm run the OpenID provider of the sign-in tests (tests/integration/oidc/).
DEBIAN_COMMANDS := git ssh ssh-keygen sshd docker-registry chromium node npm
DEBIAN_PACKAGES := git openssh-client openssh-server docker-registry chromium postgresql nodejs npm
# Debian keeps PostgreSQL's server programs off PATH, one folder per major version.
POSTGRES_INITDB := /usr/lib/postgresql/*/bin/initdb

.PHONY: test demo bench lint typecheck unit proto state-files-doc system-deps lock clean

test: $(STAMP) lint typecheck unit

# `fasit serve` with no arguments: example-state-repo/, in-process fake agents, UI and API on
# http://127.0.0.1:8080. FASIT_FAKE_FAILING / FASIT_FAKE_UNHEALTHY give a FAILED and OFFLINE mix.
demo: $(STAMP)
	FASIT_FAKE_FAILING=$${FASIT_FAKE_FAILING-acme/staging} $(BIN)/fasit serve

# Benchmarks print their figures; docs/benchmarks.md records them with machine and date.
bench: $(STAMP)
	$(BIN)/python -m bench.validate_bench
	$(BIN)/python -m bench.snapshot_bench
	$(BIN)/python -m bench.plan_bench
	$(BIN)/python -m bench.oci_bench
	$(BIN)/python -m bench.agents_bench
	$(BIN)/python -m bench.reconcile_bench
	$(BIN)/python -m bench.e2e_bench
	$(BIN)/python -m bench.helm_double_bench
	$(BIN)/python -m bench.web_bench
	$(BIN)/python -m bench.matrix_bench
	$(BIN)/python -m bench.store_bench
	$(BIN)/python -m bench.memory_bench
	$(BIN)/python -m bench.cold_start_bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict fasit naisd fasit_proto bench

unit: $(STAMP)
	$(BIN)/pytest

# Regenerate the agent protocol's stubs (fasit_proto/) from proto/ with the pinned grpcio-tools.
proto: $(STAMP)
	$(BIN)/python scripts/proto_codegen.py

# Regenerate the field tables of docs/state-files.md from the models (fasit/model/).
state-files-doc: $(STAMP)
	$(BIN)/python scripts/state_files_doc.py

system-deps:
	@missing=""; for c in $(DEBIAN_COMMANDS); do command -v $$c >/dev/null 2>&1 || missing=1; done; \
	ls $(POSTGRES_INITDB) >/dev/null 2>&1 || missing=1; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $(DEBIAN_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES); \
	fi

# Every package comes from requirements.lock, pinned with its hashes (pip refuses anything else);
# the project itself is built by the locked hatchling, without fetching a build environment.
$(STAMP): pyproject.toml requirements.lock | system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes -q \
	--custom-compile-command "make lock"
# Re-resolve requirements.lock from pyproject.toml's ranges (tests/unit/test_lock.py fails when
# the lock no longer satisfies them). requirements-runtime.lock is its subset for the image and the
# Action: fasit and its build backend, at the same versions.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra build -c requirements.lock $(LOCK_FLAGS) \
		-o requirements-runtime.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

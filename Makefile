# Each target bootstraps what it needs: a fresh clone needs only Python 3.11 and make.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export PLATFORM_DATA_DIR ?= $(CURDIR)/data
# The Dagster instance: Dagster's SQLite storage (dagster.yaml), or with INSTANCE=postgres the
# PostgreSQL one (dagster.postgres.yaml, settings from DAGSTER_PG_*), each in a home of its own.
INSTANCE ?= sqlite
ifeq ($(INSTANCE),postgres)
INSTANCE_FILE := dagster.postgres.yaml
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home_postgres
else
INSTANCE_FILE := dagster.yaml
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
endif
HOST ?= 127.0.0.1
PORT ?= 3000
# The Evidently UI that `make dev` serves beside Dagster, and where the links in the monitoring
# metadata and the model cards point.
EVIDENTLY_PORT ?= 8000
export PLATFORM_EVIDENTLY_URL ?= http://$(HOST):$(EVIDENTLY_PORT)
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project \( -path dbt_project/target -o -path dbt_project/logs \) -prune \
	-o \( -name '*.sql' -o -name '*.yml' \) -print 2>/dev/null)

.PHONY: setup dev test lint replay manifest clean demo bench instance features-ui serve replay-live

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

# requirements.lock pins every distribution that the install above brings in. `make lock` makes
# it anew: a fresh venv in a temporary folder resolves pyproject's dependencies and the dev extra
# against PyPI alone (PIP_CONFIG_FILE=/dev/null drops the machine's pip config: its constraints,
# local indexes and find-links), then `pip freeze`. The venv's bundled setuptools is removed
# first, so that the setuptools that dagster-dg-cli needs is today's too (and is pinned: `--all`);
# pip itself is not pinned. tests/test_lock.py checks that the lock is current.
.PHONY: lock
lock:
	set -euo pipefail; tmp=$$(mktemp -d /tmp/platform-assets-lock.XXXXXX); \
	trap 'rm -rf "$$tmp"' EXIT; \
	export PIP_CONFIG_FILE=/dev/null; \
	unset PIP_FIND_LINKS PIP_CONSTRAINT PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_NO_INDEX; \
	cp pyproject.toml "$$tmp/pyproject.toml"; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/pip" install --quiet --upgrade pip; \
	"$$tmp/venv/bin/pip" uninstall --quiet --yes setuptools; \
	"$$tmp/venv/bin/python" tests/test_lock.py requirements "$$tmp/pyproject.toml" > "$$tmp/requirements.txt"; \
	"$$tmp/venv/bin/pip" install --quiet -r "$$tmp/requirements.txt"; \
	{ \
	  echo "# requirements.lock: every distribution that pip install -e '.[dev]' brings in, pinned."; \
	  echo "# Made by \`make lock\` on $$(date -u +%F): a fresh venv (Python $$("$$tmp/venv/bin/python" -c 'import platform; print(platform.python_version())'), $$("$$tmp/venv/bin/pip" --version | cut -d' ' -f1-2))"; \
	  echo "# resolved pyproject.toml's [project].dependencies and the dev extra against PyPI alone,"; \
	  echo "# then \`pip freeze --all --exclude-editable\` less pip. Used as constraints by \`make setup\`:"; \
	  echo "#   pip install -c requirements.lock -e '.[dev]'"; \
	  echo "# SHA-256 of pyproject's dependency lists (tests/test_lock.py checks it; else run make lock):"; \
	  echo "# pyproject-dependencies-sha256: $$("$$tmp/venv/bin/python" tests/test_lock.py fingerprint "$$tmp/pyproject.toml")"; \
	  "$$tmp/venv/bin/pip" freeze --all --exclude-editable | grep -v '^pip=='; \
	} > "$$tmp/requirements.lock"; \
	if ! cmp -s pyproject.toml "$$tmp/pyproject.toml"; then \
	  echo "pyproject.toml changed while the lock was made: run make lock again" >&2; exit 1; fi; \
	mv "$$tmp/requirements.lock" requirements.lock; \
	echo "requirements.lock: $$(grep -c '==' requirements.lock) pins"

$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	cd dbt_project && $(BIN)/dbt parse --quiet --profiles-dir .

manifest: $(MANIFEST)

# Linked on every setup, so that the home holds the instance file INSTANCE names; a
# dagster.yaml of the user's own (a file, not a link) is left alone.
instance:
	mkdir -p $(DAGSTER_HOME)
	@if [ -e $(DAGSTER_HOME)/dagster.yaml ] && [ ! -L $(DAGSTER_HOME)/dagster.yaml ]; then \
	  echo "$(DAGSTER_HOME)/dagster.yaml is a file of your own: kept (INSTANCE=$(INSTANCE) not linked)"; \
	else \
	  ln -sfn $(CURDIR)/$(INSTANCE_FILE) $(DAGSTER_HOME)/dagster.yaml; \
	fi

setup: $(VENV)/.installed $(MANIFEST) instance

replay: setup
	$(BIN)/platform-assets replay --start 2013-01-01 --end 2013-03-31 --if-empty

# Dagster, and beside it the Evidently UI over the data root's monitoring workspace (telemetry
# off), which stops when Dagster does: Ctrl-C, or SIGTERM to `dagster dev`. Dagster runs in the
# foreground: in the background of a script it would ignore both (it handles SIGTERM as it does
# SIGINT, which a script's background job ignores).
dev: setup replay
	DO_NOT_TRACK=1 $(BIN)/evidently ui --workspace $(PLATFORM_DATA_DIR)/evidently \
	  --host $(HOST) --port $(EVIDENTLY_PORT) & evidently=$$!; \
	trap 'kill $$evidently 2>/dev/null' EXIT; \
	$(BIN)/dagster dev -w workspace.yaml -h $(HOST) -p $(PORT)

# Feast's UI over the data root's feature store (registry, entities, views, feature services),
# which the pipeline applies on its first run there (materialize features/online_store).
FEATURES_UI_PORT ?= 8888
features-ui: setup
	@test -f $(PLATFORM_DATA_DIR)/feast/registry.db || { echo "No feature store in $(PLATFORM_DATA_DIR) yet: run make dev and let the first days land (or materialize features/online_store)." >&2; exit 1; }
	$(BIN)/feast -c $(PLATFORM_DATA_DIR)/feast ui -h $(HOST) -p $(FEATURES_UI_PORT)

# The prediction service over the data root's champions (docs/serving.md); beside make dev.
SERVE_PORT ?= 8080
serve: setup
	$(BIN)/platform-assets serve --host $(HOST) --port $(SERVE_PORT)

# A past day's departures and weather pushed to the service started by `make serve`, in time
# order (docs/serving.md): make replay-live DAY=2013-01-15 [SPEED=60]
SPEED ?= 60
replay-live: setup
	@test -n "$(DAY)" || { echo "make replay-live needs DAY=YYYY-MM-DD (a day the platform has run)"; exit 2; }
	$(BIN)/platform-assets replay-live --day $(DAY) --speed $(SPEED) --service http://$(HOST):$(SERVE_PORT)

# One worker per core: most of the suite's time is subprocesses (dbt, dagster dev, Chromium)
# and waits on them. worksteal balances the few long tests against the many short ones.
test: setup
	$(BIN)/pytest -n auto --dist worksteal

# The year replayed headless into data/demo (a data root of its own; removed first).
demo: setup
	rm -rf $(CURDIR)/data/demo
	PLATFORM_DATA_DIR=$(CURDIR)/data/demo $(BIN)/platform-assets demo --start 2013-01-01 --end 2013-12-31

bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs

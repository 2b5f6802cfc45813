# Each target bootstraps what it needs: a fresh clone needs only Python 3.11 and make.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export PLATFORM_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
HOST ?= 127.0.0.1
PORT ?= 3000
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project \( -path dbt_project/target -o -path dbt_project/logs \) -prune \
	-o \( -name '*.sql' -o -name '*.yml' \) -print 2>/dev/null)

.PHONY: setup dev test lint replay manifest clean demo bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	cd dbt_project && $(BIN)/dbt parse --quiet --profiles-dir .

manifest: $(MANIFEST)

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	ln -sf $(CURDIR)/dagster.yaml $@

setup: $(VENV)/.installed $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml

replay: setup
	$(BIN)/platform-assets replay --start 2013-01-01 --end 2013-03-31 --if-empty

dev: setup replay
	$(BIN)/dagster dev -w workspace.yaml -h $(HOST) -p $(PORT)

test: setup
	$(BIN)/pytest

# The year replayed headless into data/demo (a data root of its own; removed first).
demo: setup
	rm -rf $(CURDIR)/data/demo
	PLATFORM_DATA_DIR=$(CURDIR)/data/demo $(BIN)/platform-assets demo --start 2013-01-01 --end 2013-12-31

bench: setup
	$(BIN)/python bench/run.py

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs

# apex-monitor: the two commands are `make demo` and `make test`; everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STATE := $(CURDIR)/.state

# Offline, reproducible defaults for every target. Real deployments set these in their own environment.
export DAGSTER_HOME ?= $(STATE)/dagster_home
export DAGSTER_DISABLE_TELEMETRY := 1
export GX_ANALYTICS_ENABLED := false
export APEX_STATE_DIR ?= $(STATE)
export APEX_CONFIG ?= $(CURDIR)/config/demo.yaml
export WAREHOUSE_URL ?= sqlite:///$(STATE)/warehouse.sqlite
# PostgreSQL used by the tests: role and databases are created by scripts/ensure_postgres.sh.
export TEST_PG_URL ?= postgresql+psycopg://apex_test:apex_test@127.0.0.1:5432/apex_test

.PHONY: install demo test ui postgres chromium bench bench-drift bench-quality bench-connectors bench-validity bench-signals-large bench-measure clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

$(DAGSTER_HOME)/dagster.yaml: config/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp config/dagster.yaml $@

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m pipelines.cli demo

postgres:
	bash scripts/ensure_postgres.sh

# The report tests open the HTML report in headless Chromium; Debian's package, installed when missing (needs root).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

# PYTEST_ARGS narrows a run while developing, e.g. `make test PYTEST_ARGS="tests/signals -x"`.
test: install postgres chromium $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m pytest $(PYTEST_ARGS)

ui: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m bench.score_layers

bench-drift: install
	$(BIN)/python -m bench.drift_backtest

bench-quality: install postgres
	$(BIN)/python -m bench.data_quality

bench-connectors: install
	$(BIN)/python -m bench.connectors

# Needs the demo's warehouse: run `make demo` first.
bench-measure: install
	$(BIN)/python -m bench.measure_report

clean:
	rm -rf $(STATE)

bench-validity: install
	$(BIN)/python -m bench.validity

bench-signals-large: install
	$(BIN)/python -m bench.signals_large

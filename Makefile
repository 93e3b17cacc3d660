# Baton developer commands. Each target creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# the tests also read Baton's event-log exports back with pm4py (AGPL: a
# test tool, not a dependency; the demo does not need it)
$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,eventlog-check]'
	touch $(TEST_STAMP)

demo: $(STAMP)
	$(BIN)/baton demo

# scripts/ensure-browser and ensure-servers install Debian's chromium (for
# tests/browser) and redis-server (for tests/integrations) when they can; when
# they cannot, pytest still runs: those tests skip, or fail under CI=true
test: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	scripts/ensure-browser || true
	scripts/ensure-servers || true
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/saga_throughput.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache

# Two entry points for a fresh machine: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test lint typecheck unit bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench,fast]'
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench,fast]'
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/shoal demo

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src/shoal
	$(BIN)/lint-imports

unit: $(STAMP_TEST)
	$(BIN)/pytest

test: lint unit

bench-quick: $(STAMP_TEST)
	$(BIN)/shoal bench all --quick

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache bench-results

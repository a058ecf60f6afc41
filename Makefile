# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT := out
export MAGWATCH_DB ?= $(CURDIR)/$(OUT)/magwatch.duckdb

.PHONY: run test test-slow bench venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

venv: $(VENV)/.installed

run: venv
	mkdir -p $(OUT)
	$(BIN)/magwatch load
	$(BIN)/magwatch flows --reporter CHN --commodity 85051110 --period 2025-06

test: venv
	$(BIN)/pytest

test-slow: venv
	$(BIN)/pytest -m "slow"

bench: venv
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(OUT) .pytest_cache

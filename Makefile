# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT := out
export MAGWATCH_DB ?= $(CURDIR)/$(OUT)/magwatch.duckdb

.PHONY: run test test-slow bench venv system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

venv: $(VENV)/.installed

# What the tests need from the system: Debian's chromium for the browser tests
# (Playwright drives it through executable_path; its own browser download cannot
# work here), a Java 17+ runtime for the PySpark backend tests, and Pango for
# WeasyPrint's PDF briefs.
SYSTEM_PACKAGES := chromium openjdk-17-jre-headless libpango-1.0-0 libpangoft2-1.0-0
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && ! { [ "$$missing" = openjdk-17-jre-headless ] && command -v java >/dev/null; }; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

run: venv
	mkdir -p $(OUT)
	$(BIN)/magwatch load
	$(BIN)/magwatch brief --month 2025-06 --format md,html --out $(OUT)
	@echo "HTML brief and charts written to $(OUT)/"

test: venv system-deps
	$(BIN)/pytest

test-slow: venv system-deps
	$(BIN)/pytest -m "slow"

bench: venv
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(OUT) .pytest_cache

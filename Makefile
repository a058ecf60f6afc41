# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT := out
export MAGWATCH_DB ?= $(CURDIR)/$(OUT)/magwatch.duckdb

.PHONY: run test test-slow bench venv system-deps bench-deps clean

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
# What the benchmarks need besides: wrk, the load generator bench/api.py drives the API with.
BENCH_PACKAGES := wrk

# $(call apt-install,PACKAGES): install those not yet installed (Java counts as present
# when some java is on the PATH).
define apt-install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && ! { [ "$$missing" = openjdk-17-jre-headless ] && command -v java >/dev/null; }; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

system-deps:
	$(call apt-install,$(SYSTEM_PACKAGES))

bench-deps:
	$(call apt-install,$(BENCH_PACKAGES))

run: venv
	mkdir -p $(OUT)
	$(BIN)/magwatch load
	$(BIN)/magwatch brief --month 2025-06 --format md,html --out $(OUT)
	@echo "HTML brief and charts written to $(OUT)/"

test: venv system-deps
	$(BIN)/pytest

test-slow: venv system-deps
	$(BIN)/pytest -m "slow"

bench: venv bench-deps
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(OUT) .pytest_cache

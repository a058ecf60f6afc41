# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT := out
# `make run` fills the store every command opens by default ($MAGWATCH_DB if set, else
# magwatch.duckdb in the user data directory). `make test` never touches it: pytest runs
# with MAGWATCH_DB unset and the user data directory moved under $(OUT)/test-home.
TEST_ENV := env -u MAGWATCH_DB XDG_DATA_HOME=$(CURDIR)/$(OUT)/test-home/data
# Two workers, one test file each at a time (a file's module fixtures are built once);
# PYTEST_PARALLEL= runs the suite in one process.
PYTEST_PARALLEL ?= -n 2 --dist loadfile
PIP_QUIET := PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_WARN_SCRIPT_LOCATION=1

.PHONY: run test test-slow bench venv system-deps bench-deps clean

$(BIN)/python:
	@echo "setting up $(VENV) (a few minutes the first time)"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP_QUIET) $(BIN)/pip install -qq --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@$(PIP_QUIET) $(BIN)/pip install -qq -e ".[test]"
	@touch $@

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
	@mkdir -p $(OUT)
	@$(BIN)/magwatch load
	@$(BIN)/magwatch brief --month 2025-06 --format md,html --out $(OUT) >$(OUT)/brief.log 2>&1 \
	  || { cat $(OUT)/brief.log; exit 1; }
	@$(BIN)/magwatch info --format json | $(BIN)/python -c \
	  "import json,sys; print(json.load(sys.stdin)['data_age']['line'])"
	@echo "brief for June 2025: $(OUT)/brief-2025-06.html and .md; charts in $(OUT)/charts/"
	@echo "next:"
	@echo "  $(BIN)/magwatch monitor --month 2025-06     # the month's figures and flags"
	@echo "  $(BIN)/magwatch serve                       # dashboard and API on http://127.0.0.1:8000"
	@echo "  $(BIN)/magwatch check $(OUT)/brief-2025-06.md  # verify the claims in a text"
	@echo "  $(BIN)/magwatch import FILE                 # add your own figures (docs/import.md)"

test: venv system-deps
	@mkdir -p $(OUT)/test-home/data
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_PARALLEL) --durations=25

test-slow: venv system-deps
	@mkdir -p $(OUT)/test-home/data
	$(TEST_ENV) $(BIN)/pytest -m "slow"

bench: venv bench-deps
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(OUT) .pytest_cache

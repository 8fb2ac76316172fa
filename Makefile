# modelward: `make demo` runs the main job, `make test` runs the whole suite,
# `make test-fast` everything but the end-to-end tests (marked slow) in under a minute.
# Both create the virtual environment (.venv) and install what they need on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: install dev demo test test-fast lint format typecheck bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[dev,compat]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

demo: $(VENV)/.installed
	$(BIN)/modelward demo $(if $(DEMO_DIR),--workdir $(DEMO_DIR))

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

format: $(VENV)/.dev-installed
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

# The browser tests drive Debian's Chromium (never a downloaded browser). Without it they are
# skipped with a loud message; in CI (CI=true) a failed install fails the run.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing chromium for the browser tests (apt-get)"; \
	  (apt-get update -q && apt-get install -y -q chromium) >/dev/null 2>&1 || \
	  { echo "!!!!! chromium could not be installed: the browser tests will be SKIPPED !!!!!"; \
	    [ "$$CI" != "true" ]; }; \
	fi

test: $(VENV)/.dev-installed chromium
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy src
	$(BIN)/pytest $(PYTEST_ARGS)

# The inner loop: no servers, browsers, subprocesses, demo or examples (those are marked slow).
test-fast: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest -m "not slow" -n auto $(PYTEST_ARGS)

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy src

bench: $(VENV)/.installed
	$(PIP) install -e '.[bench]'
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

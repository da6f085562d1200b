# Two commands do everything: `make run` (the product) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed
ASSETS := node_modules/.assets-installed
# Test processes, each with its own throw-away embedded database. Three on two cores: much of
# the suite waits on worker processes, servers and subprocesses, so a third keeps the cores busy.
TEST_PROCESSES ?= 3
# The type checker's Django plugin loads the settings: they are pointed at a database address
# nothing listens on (it is never contacted), so checking starts no database server.
TYPECHECK := $(PY) -m mypy
# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH

.PHONY: run test test-unit test-browser lint typecheck format venv clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(DEPS): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(DEPS)

# Front-end libraries (htmx, Chart.js, Pico CSS, axe-core) from the npm registry.
$(ASSETS): package.json package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	npm ci --no-audit --no-fund --loglevel=error
	touch $(ASSETS)

$(CHROMIUM_PATH):
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

venv: $(DEPS) $(ASSETS)

## Run web, worker and beat on the embedded database (or MONGODB_URI) until Ctrl-C.
run: $(DEPS) $(ASSETS)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py runstack

## Lint (ruff, and the type checker on the service modules), the test suite on a throw-away embedded database (or MONGODB_URI), then the browser tests.
test: lint test-unit test-browser

lint: $(DEPS)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(TYPECHECK)

## mypy on the modules listed in pyproject.toml ([tool.mypy] files).
typecheck: $(DEPS)
	$(TYPECHECK)

test-unit: $(DEPS) $(ASSETS)
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile --ignore=tests/browser $(PYTEST_ARGS)

## The main journeys in Chromium against the running product (screenshots in test-output/browser).
test-browser: $(DEPS) $(ASSETS) $(CHROMIUM_PATH)
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

format: $(DEPS)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) node_modules var/staticfiles .mypy_cache

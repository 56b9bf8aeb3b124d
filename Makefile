# Design Mall. Two commands set everything up on a fresh machine:
#   make demo   - install, migrate, build the demo design week (once), serve it
#   make test   - install, lint, run the whole test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: demo test lint format bench install messages test-postgres schemathesis loadtest clean cluster

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	PORT=$(PORT) $(BIN)/designmall demo

# The demo from an empty database (the SQLite file is deleted; pictures are kept): a new
# design week around today, e.g. once the previous one is over.
.PHONY: demo-fresh
demo-fresh: $(STAMP)
	PORT=$(PORT) $(BIN)/designmall demo --fresh

# The production tier on loopback: nginx, 2 web nodes, 2 workers, PostgreSQL primary +
# streaming replica, Redis (deploy/README.md); Ctrl-C stops everything.
cluster: $(STAMP) servers
	$(BIN)/designmall cluster --seed

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

# The browser tests drive Debian's Chromium at this path (tests/browser).
CHROMIUM := /usr/bin/chromium
# SKIP_BROWSER=1 leaves the browser tests out, knowingly: make test SKIP_BROWSER=1
BROWSER_PREREQ := $(if $(SKIP_BROWSER),,chromium)
PYTEST_BROWSER := $(if $(SKIP_BROWSER),-m "not browser",)

test: lint $(BROWSER_PREREQ) servers
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_BROWSER)

# Chromium for the browser tests, installed as .ci/run always did (Debian's chromium,
# chromium-driver and CJK fonts) when apt is there and we are root; otherwise stop and say
# how, rather than let the browser tests skip themselves without a word.
.PHONY: chromium
chromium:
	@if [ ! -x $(CHROMIUM) ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "browser tests: installing Debian's chromium, chromium-driver and fonts-noto-cjk"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null; \
	fi; \
	if [ ! -x $(CHROMIUM) ]; then \
	  echo "The browser tests (tests/browser) need Chromium at $(CHROMIUM)." >&2; \
	  echo "  Debian/Ubuntu: sudo apt-get install chromium chromium-driver fonts-noto-cjk" >&2; \
	  echo "  Or leave them out knowingly: make test SKIP_BROWSER=1" >&2; \
	  exit 1; \
	fi

# nginx for the cluster tests (tests/cluster: nginx in front of two web nodes on loopback),
# installed from Debian when apt is there and we are root; PostgreSQL's server programs and
# redis-server are the machine's own. Without them the cluster tests skip (fail under CI).
.PHONY: servers
servers:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "cluster tests: installing Debian's nginx"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq nginx >/dev/null; \
	fi

# The same suite against PostgreSQL, in a fresh database named for this run. The cluster
# tests (tests/cluster) start their own PostgreSQL primary and replica whatever DATABASE_URL
# says, so `make test` has run them already.
PG_MARKERS := not cluster$(if $(SKIP_BROWSER), and not browser,)
test-postgres: $(STAMP) $(BROWSER_PREREQ) servers
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/designmall_$$$$} \
	  $(BIN)/pytest -n 2 --dist loadfile --create-db -m "$(PG_MARKERS)"

# schemathesis against the OpenAPI document: every operation, requests that fit it and
# requests that don't; fails on any 5xx or a status the document does not list. A few
# minutes; SCHEMATHESIS_EXAMPLES=100 for a longer run.
schemathesis: $(STAMP)
	$(BIN)/pytest -n 0 tests/api/openapi_fuzz.py

# The load generator is wrk (Debian's package), installed here if missing.
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python -m bench

messages: $(STAMP)
	cd src/designmall && ../../$(BIN)/designmall makemessages -l en --no-obsolete && \
	  ../../$(BIN)/designmall compilemessages -l en

clean:
	rm -rf $(VENV) var

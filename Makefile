# Design Mall. Two commands set everything up on a fresh machine:
#   make demo   - install, migrate, build the demo design week (once), serve it
#   make test   - install, lint, run the whole test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: demo test lint format bench install messages test-postgres schemathesis loadtest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	PORT=$(PORT) $(BIN)/designmall demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

test: lint
	$(BIN)/pytest -n 2 --dist loadfile

# The same suite against PostgreSQL, in a fresh database named for this run.
test-postgres: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/designmall_$$$$} \
	  $(BIN)/pytest -n 2 --dist loadfile --create-db

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

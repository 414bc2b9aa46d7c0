# leadflow — the two commands:
#   make run    create .venv if needed, install leadflow, run the demo
#   make test   install everything the tests need, start throw-away PostgreSQL + Redis,
#               run ruff, mypy and pytest, stop the servers
# Extra pytest arguments: make test PYTEST_ARGS='-k events -x'

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
export PYTHON VENV

.PHONY: run test install dev services-start services-stop clean help

help:
	@echo "make run     - install (into $(VENV)) and run 'leadflow demo'"
	@echo "make test    - lint, type-check and test, with throw-away PostgreSQL and Redis"
	@echo "make install - only create $(VENV) and pip install -e ."
	@echo "make dev     - only create $(VENV) and pip install -e '.[dev]'"
	@echo "make clean   - remove $(VENV) and caches"

install:
	@scripts/bootstrap.sh

dev:
	@scripts/bootstrap.sh dev

run: install
	$(VENV)/bin/leadflow demo

test:
	@scripts/test.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist src/*.egg-info

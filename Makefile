# PADE — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint typecheck pytest clean-store

$(BIN)/pade: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(BIN)/pade

## make run: install, create the local store, load the programme and serve on http://127.0.0.1:8000
run: $(BIN)/pade
	$(BIN)/pade init
	$(BIN)/pade programme load
	$(BIN)/pade serve

## make test: everything CI runs — ruff, mypy --strict, pytest
test: lint typecheck pytest

lint: $(BIN)/pade
	$(BIN)/ruff check src tests scripts

typecheck: $(BIN)/pade
	$(BIN)/mypy --strict src/

pytest: $(BIN)/pade
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

clean-store:
	rm -rf .pade

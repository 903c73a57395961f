# PADE — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
DEMO_FIRMS ?= 20000

.PHONY: run test lint typecheck pytest clean-store

$(BIN)/pade: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,spark]'
	touch $(BIN)/pade

## make run: install, create the local store, load the programme and demo data, compute, serve on :8000
run: $(BIN)/pade
	$(BIN)/pade init
	$(BIN)/pade programme load
	$(BIN)/pade synth --firms $(DEMO_FIRMS) --seed 1
	$(BIN)/pade compute
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

# SPP — `make run` serves the portal with demo data; `make test` runs the whole suite.
# Both set everything up first (virtualenv, packages, embedded PostgreSQL and Redis).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PORT   ?= 8000

.PHONY: run test lint format bench setup install migrate stop clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

setup: migrate

run: setup
	$(BIN)/python manage.py seed_demo --if-empty
	SPP_DEBUG=1 $(BIN)/python manage.py serve --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m bench

stop:
	$(BIN)/python -m spp.runtime stop

clean: stop
	rm -rf var

# Two commands for a newcomer on a fresh machine with Python 3.11+ and pip:
#   make demo   installs into .venv and runs a day at a sample firm (no servers needed)
#   make test   installs into .venv (plus Dovecot and LibreOffice where apt-get can) and runs every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint bench reliability templates clean

$(BIN)/silu: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/silu

install: $(BIN)/silu

demo: install
	$(BIN)/silu demo

test: install
	./scripts/test-deps
	$(BIN)/ruff check silu_sheets tests bench
	$(BIN)/ruff format --check silu_sheets tests bench
	$(BIN)/mypy silu_sheets
	$(BIN)/pytest
	$(BIN)/python bench/run.py --quick

lint: install
	$(BIN)/ruff check silu_sheets tests bench
	$(BIN)/ruff format --check silu_sheets tests bench
	$(BIN)/mypy silu_sheets

reliability: install
	./scripts/test-deps
	$(BIN)/python -m bench.reliability

templates: install
	$(BIN)/silu templates --out templates/xlsx

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) demo-firm .pytest_cache .mypy_cache .ruff_cache

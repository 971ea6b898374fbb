PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The PostgreSQL server `make test-postgres` creates its own database on (and drops).
POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install test test-postgres lint serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The API suite again, on PostgreSQL (its database-parametrised tests).
test-postgres: $(STAMP)
	ELBO_GRADER_TEST_POSTGRES_URL=$(POSTGRES_URL) $(BIN)/python -m pytest -q tests/api -k postgresql

# Ruff, then mypy in two runs: tests/api has a conftest.py of its own.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/mypy tests/api

serve: $(STAMP)
	$(BIN)/elbo-grader init-db
	$(BIN)/elbo-grader serve --host 127.0.0.1 --port 8000

bench: $(STAMP)
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis

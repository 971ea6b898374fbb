PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The PostgreSQL server `make test-postgres` creates its own database on (and drops).
POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install browser print-libraries test test-postgres lint serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

# The page tests drive Debian's Chromium (Playwright's own browser download is not
# reachable): installed when missing and run as root; elsewhere those tests skip.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi

# WeasyPrint (the PDFs of docs/api.md §14) needs Debian's pango and a font:
# installed when missing and run as root.
PRINT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
print-libraries:
	@missing=$$(for package in $(PRINT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q 'ok installed' || echo $$package; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

install: $(STAMP) print-libraries

test: $(STAMP) browser print-libraries
	$(BIN)/python -m pytest -q

# The API and page suites again, on PostgreSQL (their database-parametrised tests).
test-postgres: $(STAMP) browser print-libraries
	ELBO_GRADER_TEST_POSTGRES_URL=$(POSTGRES_URL) $(BIN)/python -m pytest -q tests/api tests/pages tests/lti -k postgresql

# Ruff, then mypy in four runs: tests/api, tests/pages and tests/lti have a conftest.py of their own.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/mypy tests/api
	$(BIN)/mypy tests/pages
	$(BIN)/mypy tests/lti

serve: $(STAMP)
	$(BIN)/elbo-grader init-db
	$(BIN)/elbo-grader serve --host 127.0.0.1 --port 8000

bench: $(STAMP) print-libraries
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis

# The two commands of the README, and the steps they are made of.
#   make run    install, migrate, load demo data, then web + Celery worker + beat (Ctrl-C stops all)
#   make test   install, lint, type-check, check, migrations check, the whole test suite
#   make bench  the benchmarks under bench/

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MO := locale/zh_Hans/LC_MESSAGES/django.mo
PO := locale/zh_Hans/LC_MESSAGES/django.po

.PHONY: run test bench install lint typecheck checks pytest clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $(STAMP)

$(MO): $(PO)
	msgfmt --check-format -o $@ $<

install: $(STAMP) $(MO)

# Local runs default to DEBUG on (no SECRET_KEY needed); set DEBUG=false and the production
# variables to try a production-like run.
run: export DEBUG ?= true
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/run_procfile.py --procfile Procfile start

# Lint and type-check need settings to load; DEBUG on spares them a SECRET_KEY. lint-imports
# checks the layers and cycles declared in pyproject.toml ([tool.importlinter]).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: export DEBUG = true
typecheck: install
	$(BIN)/mypy .

checks: export DEBUG = true
checks: install
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

# PostgreSQL (DATABASE_URL, default the local server) and Redis are used when reachable, else
# the suite falls back to SQLite and says what it skipped. With CI=true both are required.
# TEST_WORKERS processes share the suite (pytest-xdist), each with its own test database and
# Redis database; TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
pytest: install
	$(BIN)/pytest -n $(TEST_WORKERS)

test: lint typecheck checks pytest

bench: export DEBUG ?= true
bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache test-artifacts

# Outpost: `make run` for a working demo, `make test` for every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements/lock.txt | cut -c1-12)
PYTEST_WORKERS ?= auto
HOST ?= 127.0.0.1:8000

.PHONY: run test venv lint typecheck migrations-check pytest messages bench clean

venv: $(STAMP)

$(STAMP): requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/lock.txt
	touch $(STAMP)

run: venv
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true $(BIN)/python manage.py seed_demo
	DEBUG=true $(BIN)/python manage.py runserver $(HOST)

test: venv lint typecheck migrations-check pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint outpost --lint --quiet

typecheck: venv
	DEBUG=true $(BIN)/mypy .

migrations-check: venv
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

pytest: venv
	DEBUG=false SECRET_KEY=test-only-secret $(BIN)/pytest -n $(PYTEST_WORKERS) -q

# Refresh the translation catalogues after changing user-facing text.
messages: venv
	DEBUG=true $(BIN)/python manage.py makemessages --all --no-location --ignore=.venv --ignore=staticfiles
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles

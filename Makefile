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

# The local demo signs in with a password only, so it can be tried without an
# authenticator app; every real deployment keeps OTP_REQUIRED=true.
DEMO_ENV := DEBUG=true OTP_REQUIRED=false

run: venv
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEMO_ENV) $(BIN)/python manage.py keys_init --if-missing
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	@echo "Two-factor sign-in is off in this local demo only (OTP_REQUIRED=false)."
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST)

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

# Benchmarks (bench/, docs/performance.md) on the database the settings name:
# `make bench SCALE=M`, with DATABASE_URL or SQLITE_PATH for a generated one.
SCALE ?= S
bench: venv
	DEBUG=true $(BIN)/python -m bench --scale $(SCALE)

clean:
	rm -rf $(VENV) staticfiles

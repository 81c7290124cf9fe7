# Memory Studio. Two commands for a fresh machine: `make run` and `make test` (README.md).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/memory_studio
MEMORY_STUDIO_FACES_DIR ?= $(abspath ../shared/faces)
export MEMORY_STUDIO_FACES_DIR

.PHONY: run test install install-dev secret migrate lint typecheck translations messages pytest-sqlite pytest-postgres bench evaluate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	scripts/ensure-runtime-deps.sh
	$(BIN)/pip install --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	scripts/ensure-runtime-deps.sh
	$(BIN)/pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed-runtime
	scripts/ensure-runtime-deps.sh
install-dev: $(VENV)/.installed-dev

# A random SECRET_KEY kept in var/secret_key for the embedded defaults (settings never write files).
secret:
	@mkdir -p var
	@test -s var/secret_key || (umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key)

migrate: install secret
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v 0

## Install, migrate and serve the site on http://$(HOST):$(PORT) with the embedded defaults.
run: migrate
	$(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

lint: install-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy .

# The Korean catalogs (locale/ko/LC_MESSAGES/*.po and their committed .mo) cover every marked string.
translations: install-dev
	$(BIN)/python -m memory_studio.translations check

## After marking new strings: add them to the catalogs (then translate them) and compile the .mo files.
messages: install-dev
	$(BIN)/python -m memory_studio.translations update

pytest-sqlite: install-dev
	env -u DATABASE_URL $(BIN)/pytest

# The same suite on PostgreSQL; tests marked nodb (pure model code) already ran once.
pytest-postgres: install-dev
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -m "not nodb"

## Install everything (Chromium, gettext too), start PostgreSQL/Redis if down, lint, type-check,
## check the translations, run all tests.
test: install-dev
	scripts/ensure-system-deps.sh
	scripts/ensure-services.sh
	$(MAKE) lint typecheck translations
	MEMORY_STUDIO_DATA_DIR=$$(mktemp -d) DJANGO_SETTINGS_MODULE=memory_studio.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) pytest-sqlite
	$(MAKE) pytest-postgres

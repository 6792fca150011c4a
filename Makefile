# Mạng Xanh — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 4
# malloc asks for transparent huge pages: a sign-in's 19 MiB argon2id block then costs ~800 page
# faults instead of ~4,900 (deploy/gunicorn.conf.py). Read by glibc at process start only.
GLIBC_TUNABLES ?= glibc.malloc.hugetlb=1
export FLASK_APP := wsgi

.PHONY: run test serve lint format translations extract-translations check-translations assets css fonts axe bench bench-pages clean help

help:
	@echo "make run    - set up and serve the demo site on http://$(HOST):$(PORT) (SQLite under instance/)"
	@echo "make test   - lint, check migrations and run the whole test suite"
	@echo "make serve  - production profile: gunicorn with DATABASE_URL, REDIS_URL, SECRET_KEY"

$(BIN)/activate:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the requirements change.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed
	@$(BIN)/python scripts/i18n.py compile

extract-translations: $(VENV)/.installed
	$(BIN)/python scripts/i18n.py extract

check-translations: $(VENV)/.installed
	$(BIN)/python scripts/i18n.py check

# Fingerprinted, compressed static files that WhiteNoise serves (build/static, not in git).
# Rebuilt only when a file under static/ changes.
assets: build/static/manifest.json

build/static/manifest.json: $(shell find static -type f) core/assets.py | $(VENV)/.installed
	@APP_ENV=development $(BIN)/flask assets build

# Maintainer tools; their outputs are committed, so make run and CI never need them (or npm).
css:
	cd assets && npm ci --no-audit --no-fund && npm run css

fonts: $(VENV)/.installed
	$(BIN)/python scripts/build_fonts.py

axe:
	cd assets && npm ci --no-audit --no-fund && npm run axe

run: translations assets
	APP_ENV=development $(BIN)/flask db upgrade
	APP_ENV=development $(BIN)/flask seed-demo --if-empty
	APP_ENV=development HOST=$(HOST) PORT=$(PORT) $(BIN)/flask dev

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint translations
	@tmp=$$(mktemp -d); \
	  APP_ENV=testing DATABASE_URL=sqlite:///$$tmp/check.sqlite3 $(BIN)/flask db upgrade >/dev/null && \
	  APP_ENV=testing DATABASE_URL=sqlite:///$$tmp/check.sqlite3 $(BIN)/flask db check; \
	  status=$$?; rm -rf $$tmp; exit $$status
	@if [[ "$$TEST_DATABASE_URL" == postgresql* ]]; then \
	  APP_ENV=testing DATABASE_URL=$$TEST_DATABASE_URL $(BIN)/python -m tests.dbtools reset && \
	  APP_ENV=testing DATABASE_URL=$$TEST_DATABASE_URL $(BIN)/flask db upgrade >/dev/null && \
	  APP_ENV=testing DATABASE_URL=$$TEST_DATABASE_URL $(BIN)/flask db check; \
	fi
	ROUTE_COVERAGE=1 $(BIN)/pytest -n 2 --dist loadgroup --db sqlite
	@if [[ "$$TEST_DATABASE_URL" == postgresql* ]]; then \
	  ROUTE_COVERAGE=1 $(BIN)/pytest -n 2 --dist loadgroup --db postgresql; \
	else \
	  echo "TEST_DATABASE_URL is not a PostgreSQL URL: the PostgreSQL run is skipped."; \
	fi

serve: translations assets
	$(BIN)/flask db upgrade
	GLIBC_TUNABLES=$(GLIBC_TUNABLES) HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

bench: translations
	$(BIN)/python -m bench.roster_import

bench-pages: translations assets
	$(BIN)/python -m bench.pages

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build

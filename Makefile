# Newsroom: `make run` to serve the site locally, `make test` to run the whole suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Local mode; absolute addresses (feeds, sitemaps, structured data) name the served port.
LOCAL  := DJANGO_DEBUG=1 NEWSROOM_DOMAIN=$(HOST):$(PORT)
# Stories `make bench` seeds.
ARTICLES ?= 10000

.DEFAULT_GOAL := help
.PHONY: help install run setup-local test lint format check clean bench serve

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Newsroom needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned requirements

setup-local: install ## Migrate the local SQLite database, load the sample story, print demo accounts
	$(LOCAL) $(PY) manage.py migrate --noinput
	$(LOCAL) $(PY) manage.py loaddata sample_story
	$(LOCAL) $(PY) manage.py local_accounts

run: setup-local ## Set everything up and serve the site at http://127.0.0.1:8000/
	$(LOCAL) $(PY) manage.py runserver $(HOST):$(PORT)

test: install ## Run the whole test suite (SQLite, or DATABASE_URL's database)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install ## ruff check and format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install ## Format and autofix with ruff
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

serve: install ## Production mode: collectstatic, then gunicorn -c gunicorn.conf.py (needs the production env)
	$(PY) manage.py collectstatic --noinput
	$(VENV)/bin/gunicorn -c gunicorn.conf.py

bench: install ## Seed ARTICLES stories, serve with gunicorn, load with wrk (bench/README.md)
	$(PY) bench/run.py --articles $(ARTICLES)

clean: ## Remove the venv, the local database and collected files
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache

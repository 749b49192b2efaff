# Bungu: `make run` serves the shop, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUNGU := $(BIN)/bungu
PORT ?= 8000
WORKERS ?= 2
export BUNGU_VAR_DIR ?= $(CURDIR)/var

.PHONY: run install test test-fast lint bench browser wrk clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	$(BUNGU) migrate --noinput
	$(BUNGU) load_demo_catalog --if-empty
	$(BUNGU) ensure_staff_user
	$(BUNGU) backoffice_roles
	$(BUNGU) housekeeping --schedule
	@echo "Serving the shop on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
# The background worker (e-mail delivery, the periodic housekeeping) runs beside gunicorn
# and stops with it.
	$(BUNGU) db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(BIN)/gunicorn bungu.wsgi --bind 127.0.0.1:$(PORT) --workers $(WORKERS) \
		--access-logfile - --graceful-timeout 5 --no-control-socket

# Debian's Chromium drives the browser tests; Playwright cannot download its own here.
browser:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider

test-fast: install
	$(BIN)/python -m pytest -n 2 -m "not e2e" -p no:cacheprovider

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	BUNGU_PROFILE=production \
		SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
		BUNGU_ALLOWED_HOSTS=shop.example.com BUNGU_VAR_DIR=$$(mktemp -d) \
		$(BUNGU) check --deploy --fail-level WARNING
	$(BUNGU) makemigrations --check --dry-run

# Debian's wrk generates the load; installed on first use, like the browser above.
wrk:
	@command -v wrk >/dev/null || { \
		echo "Installing Debian's wrk for the benchmark"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# Options go through BENCH_ARGS, e.g. make bench BENCH_ARGS="--skus 100000 --duration 20".
bench: install wrk
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/bench

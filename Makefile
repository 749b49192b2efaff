# Bungu: `make run` serves the shop, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUNGU := $(BIN)/bungu
PORT ?= 8000
PROCESSOR_PORT ?= 8001
WORKERS ?= 2
export BUNGU_VAR_DIR ?= $(CURDIR)/var
# `make test` fails when the whole run covers less than this share of bungu.privacy's lines.
PRIVACY_COVERAGE_FLOOR ?= 95
.DEFAULT_GOAL := help

.PHONY: help run install test test-fast lint bench bench-campaign bench-list-comparison browser redis wrk \
	cluster cluster-packages cluster-test clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed ## make .venv and install the shop with its dev tools

run: install ## migrate, load the demo catalogue, serve the shop, the worker and the card processor (Ctrl-C stops)
	$(BUNGU) migrate --noinput
	$(BUNGU) load_demo_catalog --if-empty
	$(BUNGU) ensure_staff_user
	$(BUNGU) backoffice_roles
	$(BUNGU) housekeeping --schedule
	@echo "Serving the shop on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	@echo "The sandbox card processor is on http://127.0.0.1:$(PROCESSOR_PORT)/ (test cards: /test-cards)"
# The sandbox card processor (its own process, port and database) and the background worker
# (e-mail delivery, the periodic housekeeping) run beside gunicorn and stop with it. Both
# sides use their matching development key and webhook secret unless the environment sets
# them; the processor posts its webhooks to the shop. `bungu metrics` serves the workers'
# Prometheus metrics on BUNGU_METRICS_ADDRESS (127.0.0.1:8002; gunicorn_conf sets them up). The shop's access and application logs
# go to the terminal and to one file a day under $BUNGU_LOG_DIR (P5: see operations/logs.py).
	export PROCESSOR_PORT=$(PROCESSOR_PORT) BUNGU_LOG_DIR=$${BUNGU_LOG_DIR:-$(BUNGU_VAR_DIR)/log} \
		CARDSANDBOX_VAR_DIR=$${CARDSANDBOX_VAR_DIR:-$(BUNGU_VAR_DIR)/cardsandbox} \
		CARDSANDBOX_WEBHOOK_URL=$${CARDSANDBOX_WEBHOOK_URL:-http://127.0.0.1:$(PORT)/checkout/webhook/} \
		BUNGU_PROCESSOR_URL=$${BUNGU_PROCESSOR_URL:-http://127.0.0.1:$(PROCESSOR_PORT)}; \
	if [ -n "$$BUNGU_PROCESSOR_API_KEY" ]; then export CARDSANDBOX_API_KEY=$${CARDSANDBOX_API_KEY:-$$BUNGU_PROCESSOR_API_KEY}; fi; \
	if [ -n "$$BUNGU_PROCESSOR_WEBHOOK_SECRETS" ]; then \
		export CARDSANDBOX_WEBHOOK_SECRETS=$${CARDSANDBOX_WEBHOOK_SECRETS:-$$BUNGU_PROCESSOR_WEBHOOK_SECRETS}; fi; \
	$(BIN)/python -m cardsandbox & processor=$$!; \
	$(BUNGU) worker & worker=$$!; \
	$(BUNGU) metrics & metrics=$$!; \
	trap 'kill $$worker $$processor $$metrics 2>/dev/null; wait $$worker $$processor $$metrics' EXIT; \
	$(BIN)/gunicorn bungu.wsgi --config python:bungu.gunicorn_conf \
		--bind 127.0.0.1:$(PORT) --workers $(WORKERS) \
		--access-logfile - --logger-class bungu.operations.logs.AccessLogger \
		--graceful-timeout 5 --no-control-socket

# Debian's Chromium drives the browser tests; Playwright cannot download its own here.
browser: ## install Debian's chromium for the browser tests when it is missing
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# A few tests run the shared cache and its rate limits on a real Redis.
redis: ## install Debian's redis-server for the tests that need a real Redis when it is missing
	@command -v redis-server >/dev/null || { \
		echo "Installing Debian's redis-server for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# Coverage is measured over the whole run (browser tests included) and the floor checked on
# bungu.privacy; test-fast measures nothing, as a part of the suite proves no floor.
test: install browser redis ## the whole suite, browser tests included, with the privacy coverage floor
	$(BIN)/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider --cov --cov-report=
	$(BIN)/coverage report --include='*/bungu/privacy/*' --fail-under=$(PRIVACY_COVERAGE_FLOOR)

test-fast: install redis ## the suite without the browser tests, no coverage
	$(BIN)/python -m pytest -n 2 -m "not e2e" -p no:cacheprovider

lint: install ## ruff, ruff format, import-linter, mypy, bandit, semgrep, check --deploy, migrations; as CI
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
# Medium and high findings; a reviewed line says why on its ruff noqa and ends in "# nosec".
	$(BIN)/bandit -q -r src -ll -ii
# Offline: the shop's own rules only (.semgrep/), no registry, no metrics, no version check.
	SEMGREP_ENABLE_VERSION_CHECK=0 $(BIN)/semgrep scan --config .semgrep/ --metrics=off \
		--disable-version-check --error --quiet src
	BUNGU_PROFILE=production \
		SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
		BUNGU_ALLOWED_HOSTS=shop.example.com BUNGU_VAR_DIR=$$(mktemp -d) \
		BUNGU_PROCESSOR_API_KEY=sk_lint BUNGU_PROCESSOR_WEBHOOK_SECRETS=whsec_lint \
		$(BUNGU) check --deploy --fail-level WARNING
	$(BUNGU) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=cardsandbox.settings CARDSANDBOX_VAR_DIR=$$(mktemp -d) \
		$(BIN)/python -m django makemigrations --check --dry-run

# Debian's wrk generates the load; installed on first use, like the browser above.
wrk: ## install Debian's wrk for the benchmark when it is missing
	@command -v wrk >/dev/null || { \
		echo "Installing Debian's wrk for the benchmark"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# Options go through BENCH_ARGS, e.g. make bench BENCH_ARGS="--skus 100000 --duration 20".
# BENCH_ARGS=--cluster loads the cluster (below) instead, so it needs the cluster's packages.
bench: install wrk $(if $(findstring --cluster,$(BENCH_ARGS)),cluster-packages) ## the load scenarios with a same-run baseline (BENCH_ARGS="--help"; --cluster: through nginx)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Not part of `make bench`: 100,000 recipients take minutes of their own.
bench-campaign: install ## a campaign to 100,000 generated customers via a loopback SMTP sink
	$(BIN)/python bench/campaign.py $(BENCH_ARGS)

bench-list-comparison: install ## P8: compare a 1,000,000-line partner file (BENCH_ARGS="--method psi" for PSI); time and peak memory
	$(BIN)/python bench/list_comparison.py $(BENCH_ARGS)

# The several-machine form on loopback (cluster/): Debian's PostgreSQL 15, Redis and nginx,
# installed on first use like the browser above.
CLUSTER_PACKAGES := postgresql-15:/usr/lib/postgresql/15/bin/initdb redis-server:/usr/bin/redis-server \
	nginx:/usr/sbin/nginx openssl:/usr/bin/openssl
cluster-packages: ## install Debian's postgresql-15, redis-server and nginx when missing
	@missing=""; for entry in $(CLUSTER_PACKAGES); do \
		[ -x "$${entry#*:}" ] || missing="$$missing $${entry%%:*}"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian's$$missing for the cluster"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

cluster: install cluster-packages ## PostgreSQL + standby, Redis, 3 nodes behind nginx (TLS), workers, processor (Ctrl-C stops)
	$(BIN)/python -m cluster $(CLUSTER_ARGS)

# Its own session of pytest: tests/cluster/ is collected only with BUNGU_CLUSTER_TESTS=1.
cluster-test: install cluster-packages wrk ## start the cluster and run its checks (tests/cluster/), with a table of figures
	BUNGU_CLUSTER_TESTS=1 $(BIN)/python -m pytest tests/cluster -p no:cacheprovider $(CLUSTER_TEST_ARGS)

clean: ## remove .venv and the benchmark's databases
	rm -rf $(VENV) var/bench .coverage .coverage.*

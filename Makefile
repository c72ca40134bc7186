# Masthead: `make demo` runs the demo magazine; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: demo prod-demo test venv test-deps prod-deps lint bench load audit clean

$(BIN)/masthead: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

venv: $(BIN)/masthead

demo: venv
	$(BIN)/masthead migrate --noinput -v0
	$(BIN)/masthead demo
	$(BIN)/masthead run --port $(PORT)

# The production profile's servers, from Debian's packages, started on loopback by the tests,
# `make prod-demo` and `make bench`: PostgreSQL, Redis, Varnish with vmod xkey, nginx, wrk.
prod-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	[ -x /usr/sbin/varnishd ] || missing="$$missing varnish"; \
	ls /usr/lib/*/varnish/vmods/libvmod_xkey.so >/dev/null 2>&1 || missing="$$missing varnish-modules"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	[ -x /usr/bin/wrk ] || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
		echo "Installing from Debian's packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Also Chromium for the browser tests.
test-deps: venv prod-deps
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "Installing from Debian's packages for the tests: chromium chromium-driver"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

lint: venv
	$(BIN)/ruff check masthead tests bench load audit

test: test-deps lint
	$(BIN)/masthead makemigrations --check --dry-run -v0 --settings=masthead.test_settings
	# Browser tests use live servers and transactional databases: they run in their own session.
	$(BIN)/pytest -m "not browser"
	$(BIN)/pytest -m browser
	# Tests marked `postgres` again: the production profile, a throwaway PostgreSQL and Redis
	# (the cache) started on loopback.
	$(BIN)/python -m masthead.core.localservices postgres redis -- $(BIN)/pytest -m "postgres and not browser"

# The production profile on loopback: PostgreSQL, Redis, Varnish, gunicorn and the worker.
prod-demo: venv prod-deps
	$(BIN)/masthead prod-demo --port $(PORT)

# Seeds if needed, starts what it measures, prints one table, writes bench/results/*.json.
BENCH_ARGS ?= --articles 1000
bench: venv prod-deps
	$(BIN)/python bench/stack.py $(BENCH_ARGS)

# A bounded load test of the production profile on loopback (not part of `make test`): PostgreSQL,
# Redis, the app, the worker and Varnish, demo magazine + 2,000 seeded articles, then locust
# (readers, searchers, sign-ups) for 10 minutes; fails on any 5xx or a p95 of 500 ms or more.
# LOAD_ARGS="--duration 60s" for a quick run (docs/audit.md).
LOAD_ARGS ?=
load: venv prod-deps
	$(BIN)/pip install --quiet -c constraints.txt -r load/requirements.txt
	$(BIN)/python load/run.py $(LOAD_ARGS)

# bandit, `check --deploy` with a production environment, the security headers of every kind of
# page, and a bounded wapiti scan of a local instance; reports in audit/results/ (docs/audit.md).
AUDIT_ARGS ?=
audit: venv prod-deps
	@[ -x /usr/bin/wapiti ] || { echo "Installing from Debian's packages: wapiti"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wapiti >/dev/null; }
	$(BIN)/pip install --quiet -c constraints.txt -r audit/requirements.txt
	$(BIN)/python audit/run.py $(AUDIT_ARGS)

clean:
	rm -rf $(VENV) var

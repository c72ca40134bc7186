# Masthead: `make demo` runs the demo magazine; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: demo test venv test-deps lint bench clean

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

# Debian packages the tests start themselves (loopback only): Chromium for the browser tests,
# PostgreSQL for the production-profile tests.
test-deps: venv
	@missing=""; \
	[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || missing="chromium chromium-driver"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "Installing from Debian's packages for the tests:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: venv
	$(BIN)/ruff check masthead tests bench

test: test-deps lint
	$(BIN)/masthead makemigrations --check --dry-run -v0 --settings=masthead.test_settings
	# Browser tests use live servers and transactional databases: they run in their own session.
	$(BIN)/pytest -m "not browser"
	$(BIN)/pytest -m browser
	# Tests marked `postgres` again, against a throwaway PostgreSQL started on loopback.
	$(BIN)/python -m masthead.core.localservices postgres -- $(BIN)/pytest -m "postgres and not browser"

bench: venv
	$(BIN)/python bench/article_render.py --articles 1000

clean:
	rm -rf $(VENV) var

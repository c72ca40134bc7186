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

test-deps: venv
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "Installing Chromium from Debian's packages for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

lint: venv
	$(BIN)/ruff check masthead tests bench

test: test-deps lint
	$(BIN)/masthead makemigrations --check --dry-run -v0 --settings=masthead.test_settings
	# Browser tests use live servers and transactional databases: they run in their own session.
	$(BIN)/pytest -m "not browser"
	$(BIN)/pytest -m browser

bench: venv
	$(BIN)/python bench/article_render.py --articles 1000

clean:
	rm -rf $(VENV) var

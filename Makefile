# yiwang: two commands do all the set-up on a fresh machine.
#   make demo   installs, builds the SQLite demo city and serves http://127.0.0.1:8000
#   make test   installs what the tests need and runs lint, types and tests on SQLite and PostgreSQL
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_SERVER ?= postgresql+psycopg://postgres@127.0.0.1:5432
SIZE ?= small

.PHONY: demo serve test lint test-sqlite test-postgres browser-deps nats-deps vendor bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/yiwang demo seed --size $(SIZE)
	$(BIN)/yiwang serve

serve: $(STAMP)
	$(BIN)/yiwang serve

# Debian's chromium and CJK fonts for the browser tests (the playwright download is unreachable).
browser-deps:
	@if ! command -v chromium >/dev/null || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# Debian's nats-server for the event relay's tests (they start their own servers with JetStream).
nats-deps:
	@if ! command -v nats-server >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test-sqlite: $(STAMP) browser-deps nats-deps
	$(BIN)/pytest -n 2 --dist loadfile

test-postgres: $(STAMP) browser-deps nats-deps
	YIWANG_TEST_POSTGRES=$(PG_SERVER) $(BIN)/pytest -n 2 --dist loadfile

test: lint test-sqlite test-postgres

# Re-vendor the front-end assets from npm into the package (committed; nothing loads from a CDN).
vendor:
	npm ci --no-audit --no-fund
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js \
	   node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   src/yiwang/core/web/static/vendor/

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var node_modules

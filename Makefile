# Targets for a newcomer: make run, make test, make lint, make demo, make bench.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
BENCH_ARGS ?= --output instance/benchmarks.json
export ARROWHEAD_CERTS_DIR ?= certs
DEMO_SERVER ?= https://127.0.0.1:8443

.PHONY: help venv install certs run demo test lint format bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "%-10s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

venv: $(BIN)/activate

install: venv  ## Install the package and its test tools into .venv
	$(BIN)/pip install --quiet -e '.[test]'

certs: install  ## Create the development PKI in certs/ unless it has a truststore.pem
	@if [ -f "$(ARROWHEAD_CERTS_DIR)/truststore.pem" ]; then \
		echo "Using the PKI in $(ARROWHEAD_CERTS_DIR)"; \
	else \
		$(BIN)/flask --app arrowhead_lite certs init --dir "$(ARROWHEAD_CERTS_DIR)"; \
	fi

run: certs  ## Migrate the SQLite database and serve https://127.0.0.1:8443 (mTLS)
	$(BIN)/flask --app arrowhead_lite db upgrade
	$(BIN)/flask --app arrowhead_lite core publish
	$(BIN)/gunicorn -c python:arrowhead_lite.gunicorn_conf wsgi:app

demo: install  ## Run the demo flow against 'make run' (start it in another terminal first)
	$(BIN)/python examples/demo.py --server "$(DEMO_SERVER)" --certs "$(ARROWHEAD_CERTS_DIR)"

test: install  ## Run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install  ## Check formatting and lint rules
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install  ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install  ## Measure endpoint latencies (docs/benchmarks.rst); options in BENCH_ARGS
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:  ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Mnemora: `make run` serves the embedded default, `make test` runs the whole suite.
# Both set up everything themselves on a fresh clone (only Python 3.11+ is needed).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SERVE_STAMP := $(VENV)/.installed-server
SDK012 := .venv-sdk012
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
export MNEMORA_DATA_DIR ?= $(CURDIR)/mnemora-data
MODEL_DIR := $(abspath ../shared/models/all-MiniLM-L6-v2)
ifneq ($(wildcard $(MODEL_DIR)/model.onnx),)
export MNEMORA_EMBEDDING_MODEL_PATH ?= $(MODEL_DIR)
endif

.PHONY: run test lint typecheck unit chromium lambda-build bench bench-memory bench-langgraph bench-llamaindex loadtest install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# `make run` needs the server only; `make test` installs everything (the server included).
$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	@echo "installing mnemora[server] into $(VENV) ..."
	$(BIN)/python -m pip install --progress-bar on -e '.[server]'
	touch $(SERVE_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "installing mnemora[test] (server, integrations, test tools) into $(VENV) ..."
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $(SERVE_STAMP)

install: $(STAMP)

# The published 0.1.2 SDK in its own environment, for the wire-compatibility tests.
$(SDK012)/.installed:
	$(PYTHON) -m venv $(SDK012)
	$(SDK012)/bin/python -m pip install --quiet 'mnemora==0.1.2'
	touch $@

run: $(SERVE_STAMP)
	$(BIN)/mnemora-server migrate
	$(BIN)/mnemora-server tenants create demo --tier pro --with-key --if-missing
	$(BIN)/mnemora-server serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/cfn-lint deploy/aws/template.yaml

typecheck: $(STAMP)
	$(BIN)/mypy

# The console's browser tests drive Debian's Chromium; installed here when missing and we may.
chromium:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium and chromium-driver (the console's browser tests) ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "note: install chromium and chromium-driver for the console's browser tests"; fi

unit: $(STAMP) $(SDK012)/.installed chromium
	MNEMORA_SDK012_PYTHON=$(CURDIR)/$(SDK012)/bin/python $(BIN)/python -m pytest -q

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m benchmarks.state_http

loadtest: $(STAMP)
	$(BIN)/python -m benchmarks.loadtest --seconds 20

bench-memory: $(STAMP)
	$(BIN)/python -m benchmarks.memory_http

bench-langgraph: $(STAMP)
	$(BIN)/python -m benchmarks.langgraph_memory

# The AWS Lambda build (build/lambda, what deploy/aws/template.yaml deploys), measured.
lambda-build: $(STAMP)
	$(BIN)/python -m benchmarks.lambda_build

bench-llamaindex: $(STAMP)
	$(BIN)/python -m benchmarks.llama_index_memory

clean:
	rm -rf $(VENV) $(SDK012) .pytest_cache .mypy_cache .ruff_cache

# Every task a developer, CI and the delivery pipeline run. `make test` and `make demo`
# work on a fresh machine: the first call creates .venv and installs the project.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install test lint check demo serve synth bench audit clean

$(INSTALLED): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(INSTALLED)

test: $(INSTALLED)
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: lint test

demo: $(INSTALLED)
	$(BIN)/python -m emulator.demo

serve: $(INSTALLED)
	$(BIN)/python -m emulator.serve

# Known vulnerabilities in the Lambda layer's pins and in the project's environment.
# Needs PyPI's vulnerability data over the network (CI's own run leaves it out);
# --strict makes a package it could not check a failure, not a silent pass.
audit: $(INSTALLED)
	$(BIN)/pip-audit --strict --progress-spinner off --requirement layer/requirements.txt
	$(BIN)/pip-audit --strict --progress-spinner off --skip-editable

bench: $(INSTALLED)
	$(BIN)/python -m bench

synth: $(INSTALLED)
	$(BIN)/python pipeline_app.py

clean:
	rm -rf $(VENV) cdk.out .build .pytest_cache .hypothesis node_modules

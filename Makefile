# Every task a developer, CI and the delivery pipeline run. `make test` and `make demo`
# work on a fresh machine: the first call creates .venv and installs the project.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The CDK CLI and cdk-assets, pinned in package.json: the tests run them as the pipeline does.
NODE_INSTALLED := node_modules/.installed
# checkov cannot share the project's environment (see scanners/checkov.txt).
CHECKOV_VENV := .venv-checkov
CHECKOV_INSTALLED := $(CHECKOV_VENV)/.installed

export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install test lint check scan demo serve synth bench audit audit-layer sbom secrets hooks clean

$(INSTALLED): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(INSTALLED) $(NODE_INSTALLED)

test: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: lint test scan

$(CHECKOV_INSTALLED): scanners/checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --requirement scanners/checkov.txt
	@touch $@

# checkov on every synthesized template: any failed check fails; a skipped one carries
# its reason in the template (auction_constructs/checkov.py). Offline: --skip-download.
scan: synth $(CHECKOV_INSTALLED)
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download \
		--framework cloudformation --directory cdk.out

demo: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python -m emulator.demo

# `make serve EVERY=600`: an auction run every 600 s (60 by default), and on `kill -USR1`.
serve: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python -m emulator.serve$(if $(EVERY), --every $(EVERY))

# Known vulnerabilities in the Lambda layers' pins and in the project's environment.
# Needs PyPI's vulnerability data over the network (CI's own run leaves it out);
# --strict makes a package it could not check a failure, not a silent pass.
audit: audit-layer
	$(BIN)/pip-audit --strict --progress-spinner off --skip-editable

audit-layer: $(INSTALLED)
	$(BIN)/pip-audit --strict --progress-spinner off --requirement layer/requirements.txt \
		--requirement layer/requirements-opentelemetry.txt

# CycloneDX SBOMs: what each Lambda layer ships, and what built and tested it.
sbom: $(INSTALLED)
	mkdir -p sbom
	$(BIN)/cyclonedx-py requirements layer/requirements.txt --output-file sbom/layer.cdx.json
	$(BIN)/cyclonedx-py requirements layer/requirements-opentelemetry.txt \
		--output-file sbom/layer-opentelemetry.cdx.json
	$(BIN)/cyclonedx-py environment $(VENV) --output-file sbom/environment.cdx.json

# detect-secrets over every file git would track (ops/secret_scan.py: the pipeline's
# source has no .git); a line known to be harmless says so with
# `# pragma: allowlist secret` and why.
secrets: $(INSTALLED)
	$(BIN)/python -m ops.secret_scan

# The same checks before each commit (.pre-commit-config.yaml): lint, secrets, audit.
hooks: $(INSTALLED)
	$(BIN)/pre-commit install

bench: $(INSTALLED)
	$(BIN)/python -m bench

synth: $(INSTALLED)
	$(BIN)/python pipeline_app.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) cdk.out reports sbom test-reports .build .pytest_cache .hypothesis node_modules

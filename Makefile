# iamkit: two commands on a fresh machine.
#   make demo   install what is needed, run the full assessment of the embedded demo organization
#   make test   install what is needed, run the whole test suite (lint, import contracts, pytest)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.iamkit-installed
OUT ?= reports/demo

.PHONY: demo test lab lint system-deps clean benchmarks

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "iamkit needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Chromium prints the PDF reports. Debian's package is installed when missing and we are root.
system-deps:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	    || command -v google-chrome >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium (Debian package) for PDF rendering..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	    echo "Chromium is needed for PDF reports: install it (e.g. 'sudo apt-get install chromium')," \
	         "or run 'iamkit demo --no-pdf'." >&2; exit 1; \
	fi

demo: $(STAMP) system-deps
	$(BIN)/iamkit demo --out $(OUT)

test: $(STAMP) system-deps
	$(BIN)/ruff check iamkit tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lab: $(STAMP)
	$(BIN)/iamkit lab --demo-run $(OUT)

clean:
	rm -rf $(VENV) reports/demo .pytest_cache

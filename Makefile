# The project's vocabulary: run, test, lint, bench, synth, deploy.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAGE ?= dev

.PHONY: run test lint format bench synth deploy clean browser

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt infra/requirements.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## run: the whole product locally: embedded AWS, API and pages on http://127.0.0.1:8000, outbox at /outbox
run: $(VENV)/.installed
	$(BIN)/python -m local.run

## browser: Debian's Chromium for the browser test (Playwright drives it; it downloads no browser)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "Could not install chromium; the browser test will be skipped"; }

## test: every test: domain, embedded AWS end to end, browser, infrastructure
test: $(VENV)/.installed browser
	$(BIN)/python -m pytest

## lint: ruff and mypy
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app.py chalicelib local scripts tests bench

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: figures, not pass/fail: cold start, handler cost, per-order transitions, writes, invocations, mails
bench: $(VENV)/.installed
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache infra/cdk.out

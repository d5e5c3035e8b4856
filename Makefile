# The two commands of the README. Both install what they need from this repository's own files.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: run test token schemas openapi lint bench republish faults

.tools/bin/uv:
	python3 -m venv .tools && .tools/bin/pip install --quiet "uv==0.13.9"

.venv/.synced: uv.lock pyproject.toml $(wildcard */pyproject.toml services/*/pyproject.toml tools/*/pyproject.toml) | $(UV)
	$(UV) sync --all-packages --locked
	touch $@

## run: start (or find) Kafka and PostgreSQL, migrate, and serve all four services on 8001-8004
run: .venv/.synced
	$(UV) run python deploy/local/run.py

## test: the whole suite against a real broker and database (found or embedded); installs the
## Debian packages the suite drives (chromium, shellcheck, prometheus) when they are missing, and
## the test OpenID provider (tests/oidc_provider, from the npm registry by its lock file)
test: .venv/.synced tests/oidc_provider/node_modules/.package-lock.json
	deploy/local/system-packages.sh
	$(UV) run pytest

tests/oidc_provider/node_modules/.package-lock.json: tests/oidc_provider/package-lock.json
	npm ci --prefix tests/oidc_provider --no-audit --no-fund

## token: a bearer token for the local run, e.g. make token ROLE=school URN=123456
token: .venv/.synced
	@$(UV) run python -m ap_chassis.token --role $(or $(ROLE),la_officer) $(if $(URN),--urn $(URN)) $(if $(PROVIDER),--provider-id $(PROVIDER))

## schemas: regenerate the checked-in JSON Schema files after changing an event model
schemas: .venv/.synced
	$(UV) run python -m ap_schemas.export

## openapi: release each service's OpenAPI document (services/<name>/openapi/released.json) after
## changing a route; refuses a change that breaks clients of the released copy (http_compat.py)
openapi: .venv/.synced
	JOURNEY_ENVIRONMENT=test $(UV) run python -m ap_chassis.http_compat

## lint: ruff and mypy --strict over every package
lint: .venv/.synced
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy -p ap_schemas -p ap_chassis -p ap_referral -p ap_placement -p ap_outcomes -p ap_reporting -p ap_export

## bench: every speed and memory figure with its limit and ratio (knobs: docs/operations.md#benchmarks)
bench: .venv/.synced
	$(UV) run python bench/run.py
	$(UV) run python bench/imports.py

## export: the journey topics as pseudonymised Parquet, e.g. make export OUT=export SINCE=2026-09-01
## (re-running appends only what is new; journey.identity is never read; see tools/export)
.PHONY: export
export: .venv/.synced
	$(UV) run python -m ap_export --out $(or $(OUT),export) $(if $(SINCE),--since $(SINCE))

## retention: erase identities past the LA's retention rule, expire idempotency keys, print counts
.PHONY: retention
retention: .venv/.synced
	$(UV) run python deploy/retention.py $(if $(NOW),--now $(NOW))

## republish: publish again from the outboxes what the broker lost, e.g. make republish SERVICE=referral
## (EVERYTHING=1 republishes every row; needs DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS of the run)
republish: .venv/.synced
	$(UV) run python -m ap_chassis.republish $(if $(SERVICE),--service $(SERVICE)) $(if $(EVERYTHING),--everything)

## faults: the fault suite on real processes (kill -9, database and broker faults, poison, a paused
## consumer), each audited by event id; prints scenario, lost, doubled, time to recover.
## A subset: make faults ONLY="poison broker"
faults: .venv/.synced
	$(UV) run python tests/e2e/faults/faultkit.py $(ONLY)

## import: bulk-import a file into the running placement service, with progress bars, e.g.
##   make import FILE=census.xlsx LAYOUT=school_census_ap SCHOOL_URN=123456 [DRY_RUN=1]
.PHONY: import
import: .venv/.synced
	$(UV) run python deploy/local/import_file.py --file "$(FILE)" --layout "$(or $(LAYOUT),journey)" $(if $(SCHOOL_URN),--school-urn $(SCHOOL_URN)) $(if $(DRY_RUN),--dry-run)

## bench-dashboard: dashboard page times on a read model of 50,000 pupils (also run by make bench)
.PHONY: bench-dashboard
bench: bench-dashboard
bench-dashboard: .venv/.synced
	$(UV) run python bench/dashboard.py $(or $(PUPILS),50000)

## rebuild: rebuild the running reporting service's read models from offset 0 into a new schema,
## reads served meanwhile, then switch (progress bar; REPORTING_URL, TOKEN as for make import)
.PHONY: rebuild
rebuild: .venv/.synced
	$(UV) run python deploy/local/rebuild.py

## bench-rebuild: reporting's rebuild rate on a backlog (also run by make bench)
.PHONY: bench-rebuild
bench: bench-rebuild
bench-rebuild: .venv/.synced
	$(UV) run python bench/rebuild.py $(or $(EVENTS),6000)

## bench-stages: the per-event cost of each stage of reporting's apply (also run by make bench)
.PHONY: bench-stages
bench: bench-stages
bench-stages: .venv/.synced
	$(UV) run python bench/apply_stages.py $(or $(EVENTS),100000)

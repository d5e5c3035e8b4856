# The two commands of the README. Both install what they need from this repository's own files.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: run test token schemas lint bench

.tools/bin/uv:
	python3 -m venv .tools && .tools/bin/pip install --quiet "uv==0.13.9"

.venv/.synced: uv.lock pyproject.toml $(wildcard */pyproject.toml services/*/pyproject.toml) | $(UV)
	$(UV) sync --all-packages --locked
	touch $@

## run: start (or find) Kafka and PostgreSQL, migrate, and serve all four services on 8001-8004
run: .venv/.synced
	$(UV) run python deploy/local/run.py

## test: the whole suite against a real broker and database (found or embedded)
test: .venv/.synced
	$(UV) run pytest

## token: a bearer token for the local run, e.g. make token ROLE=school URN=123456
token: .venv/.synced
	@$(UV) run python -m ap_chassis.token --role $(or $(ROLE),la_officer) $(if $(URN),--urn $(URN)) $(if $(PROVIDER),--provider-id $(PROVIDER))

## schemas: regenerate the checked-in JSON Schema files after changing an event model
schemas: .venv/.synced
	$(UV) run python -m ap_schemas.export

## lint: ruff and mypy --strict over every package
lint: .venv/.synced
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy -p ap_schemas -p ap_chassis -p ap_referral -p ap_placement -p ap_outcomes -p ap_reporting

bench: .venv/.synced
	$(UV) run python bench/run.py

## bench-dashboard: dashboard page times on a read model of 50,000 pupils (also run by make bench)
.PHONY: bench-dashboard
bench: bench-dashboard
bench-dashboard: .venv/.synced
	$(UV) run python bench/dashboard.py $(or $(PUPILS),50000)

.DEFAULT_GOAL := help
VENV := .venv/bin

help:  ## Show this help
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

bootstrap:  ## Install Debian and Python packages (idempotent)
	./scripts/bootstrap

lint: bootstrap  ## Ruff lint and format check
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

type: bootstrap  ## Mypy strict
	$(VENV)/mypy

test: bootstrap  ## Run the test suite
	$(VENV)/pytest

check:  ## Everything CI runs: lint, types, tests
	./scripts/test

demo:  ## Run the whole flow (marketplace, receivers, scan station; docs/demo.md)
	./scripts/demo

.PHONY: help bootstrap lint type test check demo

# Two commands on a fresh Debian machine: `make run` (the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export ACCUEIL_TEST_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: run test bench clean system-packages

# Reinstall when the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c "import ensurepip" 2>/dev/null || \
		{ echo "Installing python3-venv…"; apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/accueil demo

system-packages:
	scripts/ensure-system-packages

# axe-core, for the panel's accessibility test (npm, pinned by tests/panel/package-lock.json).
tests/panel/node_modules/.installed: tests/panel/package.json tests/panel/package-lock.json
	cd tests/panel && npm ci --no-audit --no-fund --silent
	touch $@

test: system-packages $(VENV)/.installed tests/panel/node_modules/.installed
	scripts/ensure-postgresql
	$(PY) -m pytest

bench: system-packages $(VENV)/.installed
	scripts/ensure-postgresql
	$(PY) bench/checkin.py
	$(PY) bench/kiosk_ui.py
	$(PY) bench/clients_search.py

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache tests/panel/node_modules

# Frontline: `make run` installs and starts the app with demo data; `make test` runs the tests
# (`make test-fast` only the unit tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-fast install lint clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Frontline needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# A random key for local use; production sets SECRET_KEY in the environment instead.
instance/secret_key:
	mkdir -p instance
	$(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@
	chmod 600 $@

run: install instance/secret_key
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo "Frontline is at http://$(HOST):$(PORT)/ (log in with one of the accounts above)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# The suite runs in one worker process per core, at most four (pytest-xdist), each test file
# whole in one worker; PYTEST_ARGS="-n 0" runs it in this process alone (tests/README.md).
TEST_WORKERS ?= --numprocesses auto --maxprocesses 4 --dist loadfile

test: install
	$(BIN)/python -m pytest $(TEST_WORKERS) $(PYTEST_ARGS)

# The unit tests alone (tests/unit/): the rules, without the app or a database, in seconds.
test-fast: install
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

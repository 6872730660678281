PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench clean compose-check lock lock-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs only from the locks: every package pinned and hashed, nothing resolved here.
PIP_INSTALL := $(BIN)/pip install --disable-pip-version-check -q --require-hashes --no-deps

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $(VENV)/.installed $@

## make run: install, migrate, load the demo, start Daphne on $(HOST):$(PORT) and the webhook worker beside it
run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py seed_history
	$(BIN)/python manage.py welcome --host $(HOST) --port $(PORT)
	# Daphne and the webhook worker (deliver_events) together; Ctrl-C stops both.
	BIN=$(BIN) exec sh tools/serve.sh $(HOST) $(PORT)

## make test: the whole suite (SQLite and in-memory layer unless DATABASE_URL/REDIS_URL are set)
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/issue_and_call.py

## make lock: recompile requirements*.txt from requirements*.in (the whole tree, pinned, with hashes)
PIP_COMPILE := $(BIN)/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(VENV)/.installed-dev
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in

## make lock-check: offline, fail when a lock no longer matches its .in file or the installed tree is broken
lock-check: $(VENV)/.installed-dev
	$(BIN)/python tools/check_lock.py
	$(BIN)/pip check

clean:
	rm -rf $(VENV) db.sqlite3 test_db.sqlite3 staticfiles

## make compose-check: validate docker-compose.yml against the Compose spec, without a Docker engine
compose-check: $(VENV)/.installed-dev
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

# The two commands: `make demo` runs the whole pipeline, `make test` runs the tests.
# Each creates .venv from the lock first, so a fresh clone needs nothing else.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format venv lock clean services bench certs

demo: $(STAMP)
	$(BIN)/fab demo

test: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/python -m tests.prepare
	$(BIN)/python -m pytest -q --durations=15

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "uv==0.13.8"
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# Re-resolve the lock after editing pyproject.toml dependencies.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements.lock

# TLS for the compose stack: a private CA, the broker's and the Dagster proxy's certificates in
# deploy/certs (git-ignored; existing files are kept). FAB_PUBLIC_HOST adds the proxy's name.
certs:
	deploy/certs.sh deploy/certs

clean:
	rm -rf $(VENV) .fab

# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest lock clean

# Installs exactly the versions pinned (with their hashes) in requirements/test.txt, then
# linkvault itself without touching them: the same set on every machine, whatever was
# released upstream since. `make lock` moves the pins forward.
$(STAMP): pyproject.toml requirements/test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r requirements/test.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Archive the bundled example list (links that cannot be reached are recorded, not fatal),
# then serve the search page on http://127.0.0.1:8000. Exit 4 is "the network looks down"
# (nothing was marked, try again later): what is archived is served all the same.
run: $(STAMP)
	$(BIN)/linkvault archive examples/python-internals.md || test $$? -eq 4
	$(BIN)/linkvault serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check app archiver index tests bench
	$(BIN)/ruff format --check app archiver index tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Two test processes: most tests wait on subprocesses, sockets and browsers, so even on two
# cores this nearly halves the run. pyproject.toml adds --dist worksteal (docs/testing.md).
pytest: $(STAMP)
	$(BIN)/pytest -q -n 2

test: lint typecheck pytest

# Upgrade the lock files to the newest releases that pyproject.toml allows (pip-tools, in a
# venv of its own); then `make test` and commit requirements/. After adding a dependency to
# pyproject.toml, `make lock UPGRADE=` pins it (and what it needs) and keeps every other pin.
LOCK_VENV := .venv-lock
UPGRADE := --upgrade
PIP_COMPILE := $(LOCK_VENV)/bin/pip-compile -q $(UPGRADE) --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links \
	--build-deps-for wheel --build-deps-for editable
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || \
		($(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install -q 'pip-tools>=7.4')
	$(PIP_COMPILE) --output-file requirements/runtime.txt pyproject.toml
	$(PIP_COMPILE) --extra test --constraint requirements/runtime.txt \
		--output-file requirements/test.txt pyproject.toml

clean:
	rm -rf $(VENV) $(LOCK_VENV) .mypy_cache .pytest_cache .ruff_cache

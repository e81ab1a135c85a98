# ByteBiota. Every target works on a fresh clone: it installs what it needs first.
#   make install   .venv with the package, its dependencies and the compiled core
#   make test      lint, then the whole suite, once against the compiled core and once against the pure one
#   make run       run the default simulation (Ctrl-C checkpoints and stops; RUN_ARGS adds flags)
#   make bench     the benchmark workloads, compiled and pure side by side
#   make lint      ruff and mypy --strict
#   make docs      regenerate docs/ from the code's tables
# Switches: PYTHON (the interpreter for the venv, default python3);
#           BYTEBIOTA_BUILD=pure make install  (skip compilation on purpose).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.installed
# Sources the compiled core is built from: a change to any of them rebuilds it.
CORE_SOURCES := $(filter-out bytebiota/core/_stamp.py,$(wildcard bytebiota/core/*.py))
# mypy pinned with the build: mypyc's generated code (and its speed) changes between versions.
BUILD_DEPS := "setuptools>=69" wheel "mypy==2.4.1" "librt>=0.17"

RUN_ARGS ?=

.PHONY: install test test-compiled test-pure run bench lint docs clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py $(CORE_SOURCES)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet $(BUILD_DEPS)
	$(PIP) install --quiet --no-build-isolation --editable '.[dev,plot]'
	@$(PY) -c "import bytebiota.core as c; print('bytebiota: core:', c.describe())"
	@touch $@

test: install
	@$(MAKE) --no-print-directory lint
	@if $(PY) -c "import bytebiota.core as c; raise SystemExit(0 if c.COMPILED else 1)"; then \
		$(MAKE) --no-print-directory test-compiled; \
	else \
		echo "bytebiota: warning: no compiled core (no C compiler?): running the pure suite only"; \
	fi
	@$(MAKE) --no-print-directory test-pure

test-compiled: install
	BYTEBIOTA_CORE=compiled $(PY) -m pytest -q

test-pure: install
	BYTEBIOTA_CORE=pure $(PY) -m pytest -q

run: install
	$(BIN)/bytebiota run $(RUN_ARGS)

bench: install
	$(BIN)/bytebiota bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

docs: install
	$(PY) tools/gendocs.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find bytebiota -name '*.so' -delete
	rm -f bytebiota/core/_stamp.py

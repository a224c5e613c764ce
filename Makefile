# Set-up and everyday commands. `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The PyTorch release tutor is tested with. On a GPU machine pip fetches its CUDA build.
# To keep a torch you already have: make run TORCH=
TORCH ?= torch==2.13.0

.PHONY: help install install-test run headless check test test-fast lint bench clean

help:
	@echo "make run        install, then open the tutor"
	@echo "make test       install with test tools, then run the test suite"
	@echo "make test-fast  the tests that start no kernel and no terminal"
	@echo "make headless   run every lesson without a screen"
	@echo "make check      check the lesson files"
	@echo "make lint       ruff"
	@echo "make bench      performance figures"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(if $(TORCH),$(BIN)/python -m pip install "$(TORCH)")
	$(BIN)/python -m pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/python -m tutor

headless: install
	$(BIN)/python -m tutor --headless

check: install
	$(BIN)/python -m tutor --check

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
pytest = $(BIN)/python -m pytest $(1); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make: pytest ran no tests" >&2; exit 1; fi; exit $$status

# Four test processes side by side (pytest-xdist): many tests wait on a kernel, a
# terminal or a timeout, so two cores run four. Tests that share a module's fixture
# (one kernel, say) run in one process; tests/conftest.py groups them. TESTS=... picks
# what to run.
WORKERS ?= 4
TESTS ?=

test: install-test
	$(call pytest,-n $(WORKERS) --dist loadgroup $(TESTS))

# The tests that start no kernel and no terminal: seconds, not minutes.
test-fast: install-test
	$(call pytest,-m "not kernel and not tmux" $(TESTS))

lint: install-test
	$(BIN)/python -m ruff check tutor tests
	$(BIN)/python -m ruff format --check tutor tests

bench: install-test
	$(BIN)/python tests/benchmarks/bench_engine.py
	$(BIN)/python tests/benchmarks/bench_app.py
	$(BIN)/python tests/benchmarks/bench_figures.py
	$(BIN)/python tests/benchmarks/bench_console.py
	$(BIN)/python tests/benchmarks/bench_watch.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

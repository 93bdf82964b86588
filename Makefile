# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/quickstart.yaml
# make bench BENCH_ARGS="--quick --case resnet50": options of bench/run_bench.py
BENCH_ARGS ?=

.PHONY: run test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/soc run $(SCENARIO)

# the suite starts `soc` in many subprocesses: compile soc's bytecode once, since
# PYTHONDONTWRITEBYTECODE would otherwise make each of them compile it again.
# One pytest-xdist worker per core, each given whole files (a file's module fixtures are
# built once), the files holding slow tests first (tests/conftest.py orders them).
test: $(VENV)/.installed-dev
	$(BIN)/python -m compileall -q soc
	$(BIN)/python -m pytest -q -n auto --dist loadfile --no-loadscope-reorder

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run_bench.py $(BENCH_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check soc tests bench

clean:
	rm -rf $(VENV) runs

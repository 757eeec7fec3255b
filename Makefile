# Two entry points on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format clean

# One pip command under a constraints file: unpinned, pip would swap the CPU torch for a CUDA build.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -c constraints.txt -e ".[dev,eval,ray,bf16]"
	$(BIN)/pip install -q --no-build-isolation --no-deps davisinteractive==1.0.4
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/trackprop demo --out demo_out

test: $(STAMP)
	$(BIN)/ruff check trackprop tests benchmarks
	$(BIN)/ruff format --check trackprop tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check --fix trackprop tests benchmarks
	$(BIN)/ruff format trackprop tests benchmarks

clean:
	rm -rf $(VENV) demo_out .pytest_cache

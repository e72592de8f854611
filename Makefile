# sagelab: two commands for a fresh machine with python3 and make.
#   make course   set up, run every lab's solution through the local SageMaker, build the site
#   make test     set up, lint, and run the test suite
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help venv course workflow site test lint format bench clean

help:
	@echo "make course   run the course end to end through the local sandbox"
	@echo "make test     lint and run the test suite"
	@echo "make site     build the course site into _build/html"
	@echo "make bench    run the benchmarks and print their figures"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,site]'
	touch $(STAMP)

venv: $(STAMP)

course: $(STAMP)
	$(PY) -m sagelab.course

workflow: $(STAMP)
	$(PY) -m sagelab.course --only 08-capstone

site: $(STAMP)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy sandbox grader

test: lint
	$(VENV)/bin/pytest

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf _build course .pytest_cache .mypy_cache .ruff_cache

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
# The SageMaker Python SDK v2 caps packages that .venv needs newer (packaging<25 and
# importlib-metadata<7 in sagemaker 2.257), so its tests run in a venv of their own.
SDK_VENV := .venv-sdk
SDK_STAMP := $(SDK_VENV)/.installed

.PHONY: help venv course workflow site site-instructor test test-sdk lint format bench clean

help:
	@echo "make course   run the course end to end through the local sandbox"
	@echo "make test     lint and run the test suite (test-sdk included)"
	@echo "make test-sdk only the SageMaker Python SDK tests, in .venv-sdk"
	@echo "make site     build the course site into _build/html"
	@echo "make bench    run the benchmarks and print their figures"
	@echo "make venv     only create .venv (then: .venv/bin/jupyter lab labs/)"
	@echo "make site-instructor   the site with solutions, for instructors only"
	@echo "make lint     ruff and mypy;  make format  apply ruff's fixes"
	@echo "make clean    remove build output and caches (keeps course/)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,site]'
	touch $(STAMP)

venv: $(STAMP)

$(SDK_STAMP): pyproject.toml
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SDK_VENV)/bin/python -m pip install --quiet -e '.[dev,sdk]'
	touch $(SDK_STAMP)

# Every lab's solution in a fresh kernel (report per lab), then the course site.
course: $(STAMP)
	$(PY) -m sagelab.course
	$(MAKE) --no-print-directory site
	@echo "course site: _build/html/index.html"

workflow: $(STAMP)
	$(PY) -m sagelab.course --only 08-capstone

# The sagelab_book extension writes the lab pages (student edition unless
# SAGELAB_EDITION=instructor) before Jupyter Book reads _toc.yml.
site: $(STAMP)
	SAGELAB_EDITION=student $(VENV)/bin/jupyter-book build . -W -n --keep-going

# Same site with solutions and hidden tests, in _build/instructor/_build/html: never publish it to students.
site-instructor: $(STAMP)
	SAGELAB_EDITION=instructor $(VENV)/bin/jupyter-book build . -W -n --keep-going --path-output _build/instructor

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy sandbox grader

# The main run skips the SDK tests, because .venv has no sagemaker; test-sdk runs them.
test: lint test-sdk
	$(VENV)/bin/pytest

# Three workers on two cores: the SDK tests spend most of their time in the SDK's 5 s polls.
test-sdk: $(SDK_STAMP)
	$(SDK_VENV)/bin/pytest -n 3 tests/sandbox/server/test_sdk.py

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m benchmarks

# Build output and caches only: course/ holds the instructor's gradebook and submissions.
clean:
	rm -rf _build .pytest_cache .mypy_cache .ruff_cache

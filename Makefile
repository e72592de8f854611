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

.PHONY: help venv course workflow site site-instructor test lint format bench clean

help:
	@echo "make course   run the course end to end through the local sandbox"
	@echo "make test     lint and run the test suite"
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

test: lint
	$(VENV)/bin/pytest

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m benchmarks

# Build output and caches only: course/ holds the instructor's gradebook and submissions.
clean:
	rm -rf _build .pytest_cache .mypy_cache .ruff_cache

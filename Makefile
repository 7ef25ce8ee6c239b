# clip-course: every task a user or CI runs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Torch is installed first and on its own, so users can pick the build they need.
# On the project's build machines these releases lie on local disk.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
PROFILE ?= auto
PARAMS ?=
DATASETS ?=
# The report's edition: en, zh or both. LANG is also the locale variable: only a value given on the
# command line (make report LANG=zh) picks the edition, and the recipe then runs under C.UTF-8.
REPORT_LANG := $(if $(filter command line,$(origin LANG)),$(LANG),en)
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: help setup test lint typecheck report download download-styleclip lab clean pretrain bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

$(VENV)/.stamp: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -U pip 2>&1 | grep -v "is ignored: it is neither" || true
	$(PY) -c "import torch, torchvision" 2>/dev/null || $(PIP) install $(TORCH_SPEC) 2>&1 | grep -v "is ignored: it is neither"; $(PY) -c "import torch, torchvision"
	$(PIP) install -e ".[dev]" 2>&1 | grep -v "is ignored: it is neither"; $(PY) -c "import clip_course, clip"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

setup: $(VENV)/.stamp ## create .venv and install the package (redone when pyproject.toml changes)

test: setup ## run the test suite (sets itself up on a fresh clone)
	$(PY) -m pytest -q

lint: setup ## ruff over the package, tests and benchmarks
	$(VENV)/bin/ruff check clip_course tests benchmarks tools

typecheck: setup ## mypy over the package (its level is stated in pyproject.toml [tool.mypy])
	$(VENV)/bin/mypy

report: setup ## run every notebook and build report/clip_course_report.pdf (PROFILE=auto|offline|paper, PARAMS=file.yml, LANG=en|zh|both)
	$(if $(filter command line,$(origin LANG)),LANG=C.UTF-8 )$(PY) -m clip_course report --profile $(PROFILE) $(if $(PARAMS),--params $(PARAMS)) --lang $(REPORT_LANG)

download: setup ## fetch everything the paper profile uses (ViT-B/32, CIFAR-10/100, StyleGAN2 FFHQ: optional), or only DATASETS=eurosat,dtd|all (needs internet)
ifneq ($(DATASETS),)
	$(PY) -m clip_course download --datasets $(DATASETS)
else
	$(PY) -m clip_course download
	@$(PY) -m clip_course download --styleclip || echo "StyleGAN2 FFHQ was not fetched (it is optional): without it the paper report's StyleCLIP chapter edits with the offline generator and says so; retry with make download-styleclip."
endif

download-styleclip: setup ## fetch the StyleGAN2 FFHQ checkpoint StyleCLIP uses (needs internet)
	$(PY) -m clip_course download --styleclip

pretrain: setup ## retrain the shipped MiniCLIP checkpoint from scratch
	$(PY) -m clip_course pretrain

bench: setup ## run the benchmarks in benchmarks/
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

# Jupyter refuses to start as root without --allow-root (containers, cloud VMs): pass it then.
USER_ID ?= $(shell id -u)
lab: setup ## open JupyterLab at the repository root (notebooks/, figures/, results/, report/)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(if $(filter 0,$(USER_ID)),--allow-root)

clean: ## remove build outputs (keeps .venv and downloaded data)
	rm -rf build results/*.json figures/*/ report/*.pdf report/*.html .pytest_cache

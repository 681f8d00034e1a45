# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# CPU build of torch; GPU users: install your CUDA torch into .venv first, then `make install`.
TORCH  ?= torch==2.13.0
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt

.PHONY: venv install install-dev demo test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

venv: $(PY)

$(VENV)/.installed: $(PY) pyproject.toml
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q "$(TORCH)"
	$(PIP) install -q -e ".[report]"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(VENV)/bin/rlver demo --out runs/demo

test: install-dev
	$(PY) -m pytest -q --ignore=tests/adapters  # the engine adapters run in their own venvs (scripts/test_adapters.sh)

clean:
	rm -rf $(VENV) runs .pytest_cache

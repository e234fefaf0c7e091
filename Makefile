# Two commands on a fresh machine:  `make run` (the chat app on the demo store) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch==2.13.0 is the CPU build; installing it first keeps pip from pulling a multi-GB CUDA build.
TORCH := torch==2.13.0

.PHONY: install install-dev run test test-slow bench browser-deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[all]'

install-dev: $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[dev]'

browser-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null) \
		|| echo "chromium could not be installed: browser tests will be skipped"

run: install
	$(BIN)/longtail serve

test: install-dev browser-deps
	$(BIN)/python -m pytest -q

test-slow: install-dev browser-deps
	$(BIN)/python -m pytest -q -m slow

bench: install
	$(BIN)/longtail bench retrieval
	$(BIN)/longtail bench assistant
	$(BIN)/longtail bench ui

clean:
	rm -rf $(VENV) .pytest_cache artifacts

# hw3: set up, build the book, test, and package the submission.
#   make setup                      a virtual environment with the project and its tools
#   make report [PROFILE=smoke]     the book: Quarto if installed, else `hw3 render`
#   make test                       the test suite (renders the smoke book once)
#   make submission [PROFILE=full]  HW3-<Name>-<StudentNumber>.zip from _book/
PYTHON ?= python3
VENV ?= .venv
PROFILE ?= full
BIN := $(VENV)/bin

.PHONY: setup report test submission train clean clean-cache

setup:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@echo "setup done: activate with 'source $(VENV)/bin/activate'"

report:
	@if command -v quarto >/dev/null 2>&1; then \
		echo "make report: rendering with Quarto $$(quarto --version), profile $(PROFILE)"; \
		PATH="$(abspath $(BIN)):$$PATH" QUARTO_PYTHON="$(abspath $(BIN))/python" quarto render --profile $(PROFILE); \
	else \
		echo "make report: Quarto not found, rendering with hw3 render (nbclient + pandoc + typst), profile $(PROFILE)"; \
		$(BIN)/hw3 render --profile $(PROFILE); \
	fi

test:
	$(BIN)/python -m pytest

train:
	$(BIN)/hw3 train all --profile $(PROFILE)

submission:
	$(BIN)/hw3 submission --profile $(PROFILE)

clean:
	rm -rf _book .quarto _freeze HW3-*.zip

clean-cache:
	rm -rf .hw3

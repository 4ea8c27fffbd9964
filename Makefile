# Two commands do everything on a fresh machine: `make site` and `make test`.
# Each sets up .venv with the pinned dependencies first (once; again when the pins change).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
export NO_MKDOCS_2_WARNING := 1

.PHONY: site test lint golden serve check generate report clean

site: $(STAMP) ## check the records, generate the pages and build site/ (strict)
	$(PY) -m generator build

test: $(STAMP) lint ## lint, type-check and run the test suite
	$(PY) -m pytest

lint: $(STAMP) ## ruff, mypy and yamllint
	$(PY) -m ruff check generator tests
	$(PY) -m mypy
	$(PY) -m yamllint --strict .

golden: $(STAMP) ## rewrite the golden pages after an intended change; review the diff
	$(PY) -m pytest tests/test_golden.py --update-golden

serve: $(STAMP) ## preview on http://127.0.0.1:8000, regenerating when a record changes
	$(PY) -m generator serve

check: $(STAMP) ## validate the records only
	$(PY) -m generator check

report: $(STAMP) ## curation to-do list: fields to fill in, old reviews, possible duplicates
	$(PY) -m generator report

generate: $(STAMP) ## write the generated Markdown into content/
	$(PY) -m generator generate

clean: ## remove build output and generated pages
	rm -rf site includes content/index.md content/glossary.md content/record-format.md content/studies content/conditions content/cell-types

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

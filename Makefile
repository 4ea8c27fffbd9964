# Two commands do everything on a fresh machine: `make site` and `make test` (`make test-all`
# adds the slow tests).
# Each sets up .venv with the pinned dependencies first (once; again when the pins change).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
CHECK_STAMP := $(VENV)/.checks-installed-$(shell cat requirements-check.txt sitecheck/package-lock.json | cksum | cut -d' ' -f1)
ZENSICAL_STAMP := $(VENV)/.zensical-$(shell cksum requirements-zensical.txt | cut -d' ' -f1)
ENGINE ?= mkdocs
SITE_DIR ?= site
BENCH_SIZES ?= 100 1000
BENCH_REPEATS ?= 3
BENCH_BUILD_REPEATS ?= 2
export NO_MKDOCS_2_WARNING := 1
# Browsers are never downloaded: the browser tests drive Debian's Chromium (/usr/bin/chromium).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: site test test-slow test-all lint golden serve check generate report new import-ctgov import-ref record-format pre-commit-check clean check-site browser-test bench

site: $(STAMP) $(if $(filter zensical,$(ENGINE)),$(ZENSICAL_STAMP)) ## check, generate, build site/ (strict); ENGINE=zensical for the successor engine
	$(PY) -m generator build --engine $(ENGINE) --site-dir $(SITE_DIR)

# Two test tiers (README, "Testing"): `make test` is the fast one (about a minute), `make
# test-all` adds the slow one (tests marked `slow`: hostile inputs, MkDocs builds, scale).
# pytest's exit code 5 ("no tests collected") fails either, as make stops on any non-zero exit.
test: $(STAMP) lint ## fast tier: lint, type-check, then the tests not marked slow
	$(PY) -m pytest -m 'not slow'

test-slow: $(STAMP) ## slow tier only: hostile inputs, site builds, scale, docs run
	$(PY) -m pytest -m slow

test-all: test test-slow ## both tiers: everything `make test` runs, then the slow tier

venv: $(STAMP) ## set up .venv with the pinned dependencies only

lint: $(STAMP) ## ruff, mypy and yamllint
	$(PY) -m ruff check generator sitecheck tests bench
	$(PY) -m mypy
	$(PY) -m yamllint --strict .

golden: $(STAMP) ## rewrite the golden pages after an intended change; review the diff
	$(PY) -m pytest tests/test_golden.py --update-golden

serve: $(STAMP) ## preview on http://127.0.0.1:8000, regenerating when a record changes; DIRTY=1: rebuild only changed pages
	$(PY) -m generator serve $(if $(DIRTY),--dirty)

check: $(STAMP) ## validate the records only
	$(PY) -m generator check

report: $(STAMP) ## curation to-do list: fields to fill in, old reviews, possible duplicates
	$(PY) -m generator report

generate: $(STAMP) ## write the generated Markdown into content/
	$(PY) -m generator generate

# Starting a record (CONTRIBUTING.md). The variables are quoted for the shell, so a file name
# may hold spaces; a missing variable is a one-line usage message, not a Python error.
new: $(STAMP) ## start a record: make new ID=sun-2017 (writes a commented skeleton studies/ID.yaml)
	@test -n "$(ID)" || { echo 'usage: make new ID=sun-2017 (the record id: lower-case words joined by hyphens)' >&2; exit 2; }
	$(PY) -m generator new "$(ID)"

import-ctgov: $(STAMP) ## draft a record from a ClinicalTrials.gov download: make import-ctgov FILE=NCT....json [ID=...]
	@test -n "$(FILE)" || { echo 'usage: make import-ctgov FILE=NCT12345678.json [ID=record-id]' >&2; exit 2; }
	$(PY) -m generator import-ctgov $(if $(ID),--id "$(ID)") "$(FILE)"

# Silent (@): what it prints is the reference entry to paste, and nothing else.
import-ref: $(STAMP) ## print a reference entry to paste: make import-ref FILE=x.nbib|.ris|.xml|.json [REF_ID=paper]
	@test -n "$(FILE)" || { echo 'usage: make import-ref FILE=paper.nbib [REF_ID=paper] (PubMed .nbib or XML, RIS, CSL-JSON)' >&2; exit 2; }
	@$(PY) -m generator import-ref $(if $(REF_ID),--id "$(REF_ID)") "$(FILE)"

record-format: $(STAMP) ## rewrite docs/record-format.md from the schema (after changing the schema)
	$(PY) -m generator record-format docs/record-format.md

pre-commit-check: $(STAMP) ## the pre-commit hooks run by pre-commit on a scratch copy: a valid record passes, a typo fails
	.ci/pre-commit-check

check-site: $(CHECK_STAMP) ## check the built site/: links and anchors, valid HTML, no other hosts
	$(PY) -m sitecheck site

browser-test: $(CHECK_STAMP) ## Chromium and axe tests on the built site/ (screenshots in test-artifacts/)
	$(PY) -m pytest tests/site

bench: $(STAMP) ## time generate and build on synthetic records: make bench BENCH_SIZES="100 1000 10000"
	$(PY) -m bench.run --sizes $(BENCH_SIZES) --repeats $(BENCH_REPEATS) --build-repeats $(BENCH_BUILD_REPEATS)

clean: ## remove build output and generated pages
	rm -rf site site-zensical test-artifacts .cache .generator-state.json includes content/index.md content/glossary.md content/record-format.md content/studies content/conditions content/cell-types content/outcomes content/downloads content/evidence-map.md content/harms.md content/bibliography.md content/whats-new.md content/feed.xml content/open-trials.md content/methods.md content/not-covered.md

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

# The site-check tools: Python ones into .venv, vnu.jar into sitecheck/node_modules (npm ci
# installs exactly what package-lock.json pins; --ignore-scripts: vnu-jar's install script would
# only fetch a Java runtime, and the machine has Java).
$(CHECK_STAMP): $(STAMP) requirements-check.txt sitecheck/package-lock.json
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-check.txt
	cd sitecheck && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -f $(VENV)/.checks-installed-*
	touch $@

$(ZENSICAL_STAMP): requirements-zensical.txt $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-zensical.txt
	rm -f $(VENV)/.zensical-*
	touch $@

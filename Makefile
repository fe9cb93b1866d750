# redisops.custom_modules — developer and CI entry points.
#   make demo   set up, build the sample module, deploy it to a 3-node emulator, show idempotence
#   make test   every check: ansible-lint, ansible-test sanity, docs, pytest (unit, contract,
#               integration), molecule, the demo on the oldest supported ansible-core, and the unit
#               tests and the demo on the newest (2.21, in a Python 3.13 root when this Python is older)
# Both work on a fresh machine: they create .venv, install Debian packages and start what they use.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
BUILD := build
COLLECTIONS := $(CURDIR)/collections
LINK := collections/ansible_collections/redisops/custom_modules
SANITY_ROOT := $(BUILD)/sanity/ansible_collections/redisops/custom_modules
# A scratch HOME keeps ansible-test's and ansible's caches out of the user's home directory.
SCRATCH_HOME := $(CURDIR)/$(BUILD)/home
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := redis-server redis-tools gcc libc6-dev
APT_CROSS := gcc-aarch64-linux-gnu libc6-dev-arm64-cross

export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv system-deps link testmodules lint sanity docs-check pytest units contract \
        integration molecule compat newest matrix test demo bench build clean docs galaxy-importer release-notes

help:
	@echo "make demo   deploy the sample module to a 3-node emulator, twice, then show the status report"
	@echo "make test   run every test (lint, sanity, docs, pytest, molecule)"
	@echo "make bench  run the benchmarks in tests/bench (not part of make test; BENCH_ARGS=--help for options)"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# redis-server proves the test module is real; gcc builds it; the aarch64 cross compiler builds a
# wrong-architecture twin for negative tests and is optional (tests that need it say so and skip).
system-deps: $(BUILD)/.system-deps
$(BUILD)/.system-deps:
	mkdir -p $(BUILD)
	if ! command -v redis-server >/dev/null || ! command -v gcc >/dev/null; then \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	fi
	if ! command -v aarch64-linux-gnu-gcc >/dev/null; then \
	  ( $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_CROSS) ) \
	  || echo "warning: no aarch64 cross compiler; wrong-architecture tests will be skipped"; \
	fi
	touch $@

link: $(LINK)
$(LINK):
	mkdir -p $(dir $(LINK))
	ln -sfn ../../.. $(LINK)

testmodules: venv system-deps
	$(PY) tests/testmodules/build.py --out $(BUILD)/testmodules

lint: venv link
	$(BIN)/ansible-lint

# ansible-test must run from inside an ansible_collections/<ns>/<name> tree: sanity runs on a copy
# of the files git knows about (tracked, and untracked but not ignored). Its virtualenvs bootstrap pip from a script it downloads from a
# host this CI cannot reach; .ci/get_pip_standin.py does the same job with ensurepip + PyPI.
sanity: venv
	rm -rf $(BUILD)/sanity && mkdir -p $(SANITY_ROOT)
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C $(SANITY_ROOT)
	# The copy gets a git repository of its own: inside this checkout, build/ is ignored and
	# ansible-test would see no files at all.
	cd $(SANITY_ROOT) && git init -q && git add -A
	pipver=$$(grep -o "pip='[0-9.]*'" $(VENV)/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -1 | tr -dc '0-9.'); \
	  mkdir -p $(SCRATCH_HOME)/.ansible/test/cache && \
	  cp .ci/get_pip_standin.py $(SCRATCH_HOME)/.ansible/test/cache/get_pip_$${pipver//./_}.py
	cd $(SANITY_ROOT) && HOME=$(SCRATCH_HOME) \
	  ansible-test sanity --venv --python 3.11 --color no

docs-check: venv link
	for m in redis_user_module redis_user_module_info redis_module_artifact redis_module_artifact_info \
	         redis_cluster_upload_gate redis_module_lifecycle_plan redis_database_module_upgrade; do \
	  $(BIN)/ansible-doc -t module redisops.custom_modules.$$m >/dev/null; done
	for f in lifecycle_clusters lifecycle_idle lifecycle_nodes lifecycle_record lifecycle_todo lifecycle_summary; do \
	  $(BIN)/ansible-doc -t filter redisops.custom_modules.$$f >/dev/null; done
	$(BIN)/ansible-doc -t lookup redisops.custom_modules.module_package >/dev/null
	$(BIN)/ansible-doc -t role redisops.custom_modules.module_lifecycle >/dev/null
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all \
	  --disallow-unknown-collection-refs .
	# License headers name the license file that ships (COPYING).
	if git grep -nE 'GNU General Public License v3\.0\+ \(see (https|LICENSES/)' -- . ; then \
	  echo "docs-check: these headers should read (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)"; exit 1; fi

# Two workers: most of the time goes to ansible-playbook processes, and each test starts its own
# emulator on its own loopback addresses, so tests do not share state.
PYTEST_WORKERS ?= 2
pytest: venv link testmodules
	$(PY) -m pytest -q -n $(PYTEST_WORKERS)

units: venv link testmodules
	$(PY) -m pytest -q tests/unit
contract: venv link
	$(PY) -m pytest -q tests/contract
integration: venv link testmodules
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/integration

molecule: venv link testmodules
	molecule test --all

# The oldest ansible-core that meta/runtime.yml admits gets the whole demo (deploy, idempotent
# re-deploy with no write request, drift report) and a removal, twice, in a virtualenv of its own
# (.ci/core.sh: build/core/X.Y-pyA.B).
OLDEST_ANSIBLE := 2.16
compat: link
	bash .ci/core.sh $(OLDEST_ANSIBLE) demo

# The newest ansible-core: its unit tests and the demo cycle (with a removal). It needs Python 3.12+:
# .ci/newpy.sh runs it with this machine's python3 when that is 3.12 or newer, else in a Debian trixie
# root (Python 3.13) that it makes once with mmdebstrap (build/trixie-root, about 30 s and 0.3 GB).
NEWEST_ANSIBLE := 2.21
newest: link
	CORE_WORKERS=$(PYTEST_WORKERS) bash .ci/newpy.sh bash .ci/core.sh $(NEWEST_ANSIBLE) units demo

# Version matrix (not part of make test: per version it takes as long as the integration tests
# and one molecule scenario, with one worker). Each ansible-core from requires_ansible
# (meta/runtime.yml) to the newest gets a virtualenv of its own (.ci/core.sh) and runs the integration
# tests (the modules, the role and the playbooks through ansible-playbook and ansible-runner) and the
# molecule default scenario (check mode, converge, idempotence, verify, removal); 2.19 and later also
# the unit tests, 2.20 and later also ansible-test sanity. 2.20 and later need Python 3.12+, through
# .ci/newpy.sh as for make newest. Prints the time per version and a summary at the end.
# make matrix MATRIX_ANSIBLE=2.17 runs one version.
MATRIX_ANSIBLE ?= 2.16 2.17 2.18 2.19 2.20 2.21
MATRIX_WORKERS ?= 1
matrix: link
	@failed=""; summary=""; for v in $(MATRIX_ANSIBLE); do \
	  t=$$(date +%s); echo "make matrix: ansible-core $$v"; \
	  case $$v in \
	    2.1[678]) run="bash .ci/core.sh $$v integration molecule" ;; \
	    2.19) run="bash .ci/core.sh $$v units integration molecule" ;; \
	    *) run="bash .ci/newpy.sh bash .ci/core.sh $$v units integration molecule sanity" ;; \
	  esac; \
	  if CORE_WORKERS=$(MATRIX_WORKERS) $$run; then result=passed; else result=FAILED; failed="$$failed $$v"; fi; \
	  line="ansible-core $$v: $$result in $$(( $$(date +%s) - t )) s ($$run)"; echo "make matrix: $$line"; \
	  summary="$$summary$$line\n"; \
	done; \
	printf "make matrix on commit %s:\n$$summary" "$$(git rev-parse --short HEAD)"; \
	if [ -n "$$failed" ]; then echo "make matrix: failed on ansible-core$$failed"; exit 1; fi; \
	echo "make matrix: passed on ansible-core $(MATRIX_ANSIBLE)"

# The docs site, built offline with antsibull-docs and Sphinx into build/docsite/build/html:
# the plugin and role pages from the collection's documentation, and the guides listed in
# docs/docsite/extra-docs.yml. Offline there are no intersphinx inventories, so references into
# the Ansible documentation (ansible.builtin.*, common_return_values, ...) stay unresolved: those
# warnings are allowed, any other warning fails the build.
DOCSITE := $(BUILD)/docsite
docs: venv link
	rm -rf $(DOCSITE) && mkdir -p $(DOCSITE)
	$(BIN)/antsibull-docs sphinx-init --use-current --dest-dir $(DOCSITE) --fail-on-error \
	  --no-add-antsibull-docs-version --title redisops.custom_modules --project redisops.custom_modules \
	  redisops.custom_modules >/dev/null
	echo "intersphinx_mapping = {}  # offline build (make docs)" >> $(DOCSITE)/conf.py
	mkdir -p $(DOCSITE)/rst && chmod og-w $(DOCSITE)/rst
	cd $(DOCSITE) && $(CURDIR)/$(BIN)/antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything \
	  --fail-on-error --use-current --dest-dir rst redisops.custom_modules
	cd $(DOCSITE) && $(CURDIR)/$(BIN)/sphinx-build -M html rst build -c . -q --keep-going 2> sphinx.log \
	  || { cat sphinx.log; exit 1; }
	if grep -E 'WARNING|ERROR' $(DOCSITE)/sphinx.log | grep -vE "undefined label: '(ansible_collections\.ansible\.builtin\.|ansible_configuration_settings'|common_return_values'|action_plugins')"; then \
	  echo "make docs: Sphinx warnings above"; exit 1; fi
	echo "make docs: $(DOCSITE)/build/html/index.html"

# The release notes: antsibull-changelog turns the fragments in changelogs/fragments/ into a
# release in changelogs/changelog.yaml and writes CHANGELOG.rst (the fragments are then removed).
# make release-notes checks the fragments and shows what a release would say, on a copy in
# build/release-notes (nothing in the checkout changes);
# make release-notes RELEASE=1 cuts the release of the version in galaxy.yml.
release-notes: venv
	$(BIN)/antsibull-changelog lint
	if [ -n "$${RELEASE:-}" ]; then \
	  $(BIN)/antsibull-changelog release --version "$$(sed -n 's/^version: *//p' galaxy.yml)" && \
	  echo "make release-notes: released $$(sed -n 's/^version: *//p' galaxy.yml); commit changelogs/ and CHANGELOG.rst"; \
	else \
	  rm -rf $(BUILD)/release-notes && mkdir -p $(BUILD)/release-notes && \
	  git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C $(BUILD)/release-notes && \
	  cd $(BUILD)/release-notes && $(CURDIR)/$(BIN)/antsibull-changelog release \
	    --version "$$(sed -n 's/^version: *//p' galaxy.yml)" && cat CHANGELOG.rst; \
	fi

# galaxy-importer runs Galaxy's own import checks (metadata, documentation, ansible-lint) on a
# built tarball, offline (.ci/galaxy-importer.cfg). It prints lint findings as WARNING lines and
# still exits 0, so any WARNING or ERROR line fails this target.
# No public repository URL is known yet, so galaxy.yml has none, and Galaxy refuses a collection
# without one: the tarball checked here is built from a copy of the tracked files whose galaxy.yml
# gets repository: $(GALAXY_REPOSITORY) (the git remote "origin", else this checkout). Set
# repository in galaxy.yml before the first upload.
GALAXY_REPOSITORY ?= $(shell git remote get-url origin 2>/dev/null || echo file://$(CURDIR))
IMPORTER := $(BUILD)/galaxy-importer
galaxy-importer: venv
	rm -rf $(IMPORTER) && mkdir -p $(IMPORTER)/src $(IMPORTER)/dist $(IMPORTER)/home
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C $(IMPORTER)/src
	if ! grep -q '^repository:' $(IMPORTER)/src/galaxy.yml; then \
	  echo "make galaxy-importer: galaxy.yml has no repository (Galaxy requires one); checking a build with repository: $(GALAXY_REPOSITORY)"; \
	  echo "repository: $(GALAXY_REPOSITORY)" >> $(IMPORTER)/src/galaxy.yml; fi
	cd $(IMPORTER)/src && $(CURDIR)/$(BIN)/ansible-galaxy collection build --output-path ../dist
	cd $(IMPORTER) && HOME=$(CURDIR)/$(IMPORTER)/home GALAXY_IMPORTER_CONFIG=$(CURDIR)/.ci/galaxy-importer.cfg \
	  $(CURDIR)/$(PY) -m galaxy_importer.main dist/*.tar.gz > import.log 2>&1 \
	  || { cat import.log; exit 1; }
	if grep -E '^(WARNING|ERROR)' $(IMPORTER)/import.log; then echo "make galaxy-importer: findings above (log: $(IMPORTER)/import.log)"; exit 1; fi
	grep -E 'Running ansible-lint|Collection loading complete|Removing temporary' $(IMPORTER)/import.log || true
	echo "make galaxy-importer: no warnings"

# molecule runs beside pytest: both spend much of their time waiting on ansible-playbook processes
# and the emulators they start (each on loopback addresses of its own), and together they keep
# both cores busy. Its log is printed when it ends (in full if it failed).
test: venv link testmodules
	@start=$$(date +%s); step() { t=$$(date +%s); $(MAKE) --no-print-directory $$1 || return 1; \
	  echo "make test: $$1 passed in $$(( $$(date +%s) - t )) s"; }; \
	step lint; step docs-check; step galaxy-importer; step sanity; \
	t=$$(date +%s); echo "make test: molecule started in the background (log: $(BUILD)/molecule.log)"; \
	( $(MAKE) --no-print-directory molecule > $(BUILD)/molecule.log 2>&1; echo $$? > $(BUILD)/molecule.rc ) & \
	mpid=$$!; \
	if ! step pytest; then wait $$mpid; exit 1; fi; \
	wait $$mpid; \
	if [ "$$(cat $(BUILD)/molecule.rc)" != 0 ]; then cat $(BUILD)/molecule.log; echo "make test: molecule FAILED"; exit 1; fi; \
	sed -n '/SCENARIO RECAP/,$$p' $(BUILD)/molecule.log; \
	echo "make test: molecule passed in $$(( $$(date +%s) - t )) s (started with pytest)"; \
	step compat; step newest; \
	echo "make test: all checks passed in $$(( $$(date +%s) - start )) s"

demo: venv link testmodules
	bash .ci/demo.sh

# The issue 7 table (tests/bench/README.md). BENCH_ARGS picks pieces and the checkout measured, e.g.
#   make bench BENCH_ARGS="--only upload"      make bench BENCH_ARGS="--collection ../main --runs 1"
BENCH_ARGS ?=
bench: venv link testmodules
	$(PY) tests/bench/bench_fleet.py $(BENCH_ARGS)

build: venv
	mkdir -p $(BUILD)/dist
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/dist

clean:
	rm -rf $(BUILD) collections tests/output .pytest_cache

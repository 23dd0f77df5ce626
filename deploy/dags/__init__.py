"""The DAGs in dags/ as Airflow parses them: catalogue, snapshot, rendered SQL.

Shared by the deploy tool and devkit (lakehouse <- deploy <- devkit): `infra
settings` and `review` run these modules with `python -m` in a subprocess, so the
deploy tool's own process never imports Airflow; the local run imports them.
"""

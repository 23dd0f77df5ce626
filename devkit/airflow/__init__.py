"""Airflow on this machine: settings and metadata DB, one DagRun, rendering, the DAG catalogue.

Named after the job; the real `airflow` package is unaffected: every import in
devkit is absolute, so `import airflow` always means Apache Airflow.
"""

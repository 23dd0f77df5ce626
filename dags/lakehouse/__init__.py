"""Code the DAGs share: conventions, table registries, helpers.

Shipped with the DAGs (the deploy syncs dags/, so a change reaches MWAA in the next
DAG sync), not in plugins.zip; `.airflowignore` keeps it out of DAG parsing.
"""

"""Shared, slow-changing code for the DAGs; shipped to MWAA in plugins.zip."""

"""MWAA's own environment reproduced: `.venv-mwaa` (env), the DAG parse there (parse, probe)."""

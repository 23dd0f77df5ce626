"""Representative `params` for linting the SQL templates (a fact table)."""

schema = "tickit"
table = "sales"
staging_table = "stg_sales"
key_column = "salesid"
event_time_column = "saletime"
# sql/redshift_bootstrap/ (rendered by deploy/redshift_bootstrap.py)
datahub_user = '"datahub_ingestion"'
pipeline_user = '"IAMR:mwaa-pipelines-mwaa-execution"'
datahub_password = "'Example-Password-1'"  # pragma: allowlist secret
database = '"dev"'
pipeline_user_exists = False
datahub_user_exists = False

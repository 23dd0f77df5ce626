"""Representative `params` for linting the SQL templates (a fact table)."""

schema = "tickit"
table = "sales"
staging_table = "stg_sales"
key_column = "salesid"
event_time_column = "saletime"
# sql/datahub/redshift_reader_grants.sql
datahub_user = "datahub"
pipeline_user = '"IAMR:mwaa-pipelines-mwaa-execution"'

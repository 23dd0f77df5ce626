"""Representative `params` for linting the SQL templates (a fact table)."""

schema = "tickit"
table = "sales"
staging_table = "stg_sales"
key_column = "salesid"
event_time_column = "saletime"

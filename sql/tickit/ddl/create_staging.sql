-- Staging has the target's shape; COPY replaces its contents each night.
CREATE TABLE IF NOT EXISTS {{ params.schema }}.{{ params.staging_table }}
(LIKE {{ params.schema }}.{{ params.table }});

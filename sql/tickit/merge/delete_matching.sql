-- Step 1 of the merge (one transaction with insert_from_staging.sql):
-- remove target rows that staging replaces, so a re-run never doubles rows.
DELETE FROM {{ params.schema }}.{{ params.table }}
USING {{ params.schema }}.{{ params.staging_table }} AS staged
WHERE
    {{ params.schema }}.{{ params.table }}.{{ params.key_column }}
    = staged.{{ params.key_column }};

-- Gate before the merge: a bad extract must never reach the target.
-- SQLCheckOperator fails the task when any column of this row is false.
SELECT
    COUNT(*) > 0 AS has_rows,
    COUNT({{ params.key_column }}) = COUNT(*) AS keys_not_null,
    COUNT(DISTINCT {{ params.key_column }}) = COUNT({{ params.key_column }}) AS keys_unique
FROM {{ params.schema }}.{{ params.staging_table }};

-- Step 2 of the merge: staging's rows become the target's current version.
INSERT INTO {{ params.schema }}.{{ params.table }}
SELECT * FROM {{ params.schema }}.{{ params.staging_table }};

-- Step 2 of the merge: staging's rows become the target's current version. Staging is
-- created LIKE the target (same columns, same order), so `*` is the target's column list.
INSERT INTO {{ params.schema }}.{{ params.table }}
SELECT * FROM {{ params.schema }}.{{ params.staging_table }};  -- noqa: AM04

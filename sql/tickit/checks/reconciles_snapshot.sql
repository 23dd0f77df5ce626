-- Snapshots, after the merge: every staged key is in the target exactly once.
SELECT
    (SELECT COUNT(*) FROM {{ params.schema }}.{{ params.staging_table }})
    = (
        SELECT COUNT(*)
        FROM {{ params.schema }}.{{ params.table }}
        WHERE {{ params.key_column }} IN (
            SELECT staged.{{ params.key_column }}
            FROM {{ params.schema }}.{{ params.staging_table }} AS staged
        )
    ) AS target_matches_staging;

-- Facts, after the merge: the target's rows for the interval are exactly
-- the staged extract, no more (stale rows) and no fewer (lost rows).
SELECT
    (SELECT COUNT(*) FROM {{ params.schema }}.{{ params.staging_table }})
    = (
        SELECT COUNT(*)
        FROM {{ params.schema }}.{{ params.table }}
        WHERE
            {{ params.event_time_column }} >= '{{ data_interval_start }}'
            AND {{ params.event_time_column }} < '{{ data_interval_end }}'
    ) AS target_matches_staging;

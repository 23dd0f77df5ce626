-- Facts only, before the merge: every event time lies in the run's
-- half-open data interval [start, end), so day edges are neither lost nor doubled.
SELECT
    MIN({{ params.event_time_column }}) >= '{{ data_interval_start }}' AS min_inside_interval,
    MAX({{ params.event_time_column }}) < '{{ data_interval_end }}' AS max_inside_interval
FROM {{ params.schema }}.{{ params.staging_table }};

-- Facts only, step 0 of the merge: the extract is the whole truth for its
-- half-open interval, so rows that vanished from a re-extract go too.
DELETE FROM {{ params.schema }}.{{ params.table }}
WHERE
    {{ params.event_time_column }} >= '{{ data_interval_start }}'
    AND {{ params.event_time_column }} < '{{ data_interval_end }}';

-- Gold sinusitis study read back through Athena (one file, no partitions).
SELECT
    0 AS partition_count,
    COUNT(*) AS gold_rows,
    COUNT(DISTINCT patient) AS patients,
    MIN(condition_age) AS min_condition_age
FROM sinusitis_study;

-- Gold encounters for symptom read back through Athena: rows, day partitions,
-- and the spec's filters (one description, no empty reason code).
SELECT
    COUNT(*) AS gold_rows,
    COUNT(DISTINCT year || '-' || month || '-' || day) AS partition_count,
    COUNT_IF(reasoncode IS NULL) AS empty_reasoncodes,
    COUNT(DISTINCT description) AS descriptions
FROM encounters_for_symptom;

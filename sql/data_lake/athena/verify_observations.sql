-- Gold observations read back through Athena: rows and day partitions.
SELECT
    COUNT(*) AS gold_rows,
    COUNT(DISTINCT year || '-' || month || '-' || day) AS partition_count,
    COUNT(DISTINCT patient) AS patients
FROM observations;

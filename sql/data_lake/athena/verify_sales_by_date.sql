-- Gold TICKIT sales by date (Spark) read back through Athena.
SELECT
    COUNT(*) AS gold_rows,
    COUNT(DISTINCT year || '-' || month) AS partition_count,
    SUM(tickets_sold) AS tickets_sold
FROM sales_by_date;

-- Gold TICKIT sales by category (Spark) read back through Athena.
SELECT
    COUNT(*) AS gold_rows,
    COUNT(DISTINCT catgroup || '/' || catname) AS partition_count,
    SUM(tickets_sold) AS tickets_sold
FROM sales_by_category;

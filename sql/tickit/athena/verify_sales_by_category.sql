-- Reads the crawled gold table back through Athena: proves the Parquet,
-- the partitions and the catalog agree.
SELECT
    COUNT(*) AS sales_rows,
    COUNT(DISTINCT catgroup || '/' || catname) AS category_count,
    SUM(tickets_sold) AS tickets_sold
FROM sales_by_category;

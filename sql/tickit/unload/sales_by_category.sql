-- Gold aggregate for the lake: daily sales per category, unloaded as
-- Parquet partitioned by catgroup/catname (RedshiftToS3Operator wraps this
-- query in UNLOAD, so it carries no trailing semicolon).
SELECT
    category.catgroup,
    category.catname,
    sale_day.caldate AS sale_date,
    COUNT(*) AS sale_count,
    SUM(sales.qtysold) AS tickets_sold,
    SUM(sales.pricepaid) AS gross_sales,
    SUM(sales.commission) AS commission,
    COUNT(DISTINCT sales.buyerid) AS distinct_buyers,
    COUNT(DISTINCT sales.sellerid) AS distinct_sellers
FROM tickit.sales AS sales
INNER JOIN tickit.listing AS listing ON sales.listid = listing.listid
INNER JOIN tickit.users AS buyers ON sales.buyerid = buyers.userid
INNER JOIN tickit.users AS sellers ON sales.sellerid = sellers.userid
INNER JOIN tickit.event AS events ON sales.eventid = events.eventid
INNER JOIN tickit.date AS sale_day ON sales.dateid = sale_day.dateid
INNER JOIN tickit.category AS category ON events.catid = category.catid
GROUP BY sale_day.caldate, category.catgroup, category.catname

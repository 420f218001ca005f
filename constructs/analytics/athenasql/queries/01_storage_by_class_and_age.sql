-- name: Storage by class and age
-- description: Objects and bytes of each inventoried bucket by storage class and age (days since last modified: 0, 30, 90, 180, 365 and more), from each bucket's latest S3 Inventory of the last three days; current and noncurrent versions, no delete markers.
WITH latest AS (
  SELECT source, max(dt) AS dt
  FROM inventory
  WHERE dt >= CAST(CAST(current_date - INTERVAL '3' DAY AS date) AS varchar)
  GROUP BY source
),
aged AS (
  SELECT i.source, i.bucket, i.storage_class, i.size,
         date_diff('day', CAST(i.last_modified_date AS date), current_date) AS age_days
  FROM inventory i
  JOIN latest l ON i.source = l.source AND i.dt = l.dt
  WHERE NOT i.is_delete_marker
)
SELECT source,
       bucket,
       storage_class,
       CASE WHEN age_days < 30 THEN 0
            WHEN age_days < 90 THEN 30
            WHEN age_days < 180 THEN 90
            WHEN age_days < 365 THEN 180
            ELSE 365 END AS age_from_days,
       count(*) AS objects,
       sum(size) AS bytes,
       round(sum(size) / 1e9, 3) AS gb
FROM aged
GROUP BY 1, 2, 3, 4
ORDER BY 1, 3, 4

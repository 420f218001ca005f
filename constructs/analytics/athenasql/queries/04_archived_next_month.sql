-- name: Archived next month
-- description: Current versions that the lifecycle policy moves to an archive class (Glacier Flexible Retrieval or Deep Archive: reading them then needs a restore) within the next 30 days, by bucket, archive class and data class (from the catalog), from each bucket's latest S3 Inventory.
WITH policy (source, prefix, data_class, days, storage_class) AS (
  VALUES
    {{archive_policy}}
),
latest AS (
  SELECT source, max(dt) AS dt
  FROM inventory
  WHERE dt >= CAST(CAST(current_date - INTERVAL '3' DAY AS date) AS varchar)
  GROUP BY source
),
current_versions AS (
  SELECT i.source, i.bucket, i.key, i.version_id, i.size, i.storage_class,
         date_diff('day', CAST(i.last_modified_date AS date), current_date) AS age_days
  FROM inventory i
  JOIN latest l ON i.source = l.source AND i.dt = l.dt
  WHERE i.is_latest AND NOT i.is_delete_marker
),
classes AS (
  SELECT DISTINCT bucket, key, version_id, data_class FROM objects
),
classed AS (
  SELECT c.source, c.bucket, c.key, c.size, c.storage_class, c.age_days,
         coalesce(k.data_class, '') AS data_class
  FROM current_versions c
  LEFT JOIN classes k ON c.bucket = k.bucket AND c.key = k.key AND c.version_id = k.version_id
)
SELECT c.source,
       c.bucket,
       p.storage_class AS archive_class,
       c.data_class,
       count(*) AS objects,
       sum(c.size) AS bytes,
       min(p.days - c.age_days) AS first_in_days
FROM classed c
JOIN policy p
  ON c.source = p.source
 AND substr(c.key, 1, length(p.prefix)) = p.prefix
 AND (p.data_class = '' OR p.data_class = c.data_class)
WHERE c.age_days < p.days
  AND c.age_days + 30 >= p.days
  AND c.storage_class <> p.storage_class
  AND c.storage_class <> 'DEEP_ARCHIVE'
GROUP BY 1, 2, 3, 4
ORDER BY 1, 3, 4

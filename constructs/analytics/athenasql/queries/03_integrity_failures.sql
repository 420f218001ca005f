-- name: Integrity failures
-- description: Verified data objects of verified runs (under the run's verified prefix, recorded before the inventory's day) that the latest S3 Inventory of their bucket does not list, lists as a delete marker, or lists with another size or ETag.
WITH latest AS (
  SELECT source, max(dt) AS dt
  FROM inventory
  WHERE dt >= CAST(CAST(current_date - INTERVAL '3' DAY AS date) AS varchar)
  GROUP BY source
),
inv AS (
  SELECT i.bucket, i.key, i.version_id, i.is_delete_marker, i.size, i.e_tag, l.dt
  FROM inventory i
  JOIN latest l ON i.source = l.source AND i.dt = l.dt
),
snapshot AS (
  SELECT DISTINCT bucket, dt FROM inv
),
verified AS (
  SELECT o.run_id, o.bucket, o.key, o.version_id, o.size, o.etag
  FROM objects o
  JOIN runs r ON o.run_id = r.run_id AND o.dt = r.dt AND o.verify_id = r.verify_id
  JOIN snapshot s ON o.bucket = s.bucket
  WHERE o.role = 'data'
    AND substr(o.key, 1, length(r.verified_prefix)) = r.verified_prefix
    AND CAST(coalesce(o.event_time, o.recorded_at) AS date) < CAST(substr(s.dt, 1, 10) AS date)
)
SELECT v.run_id,
       v.bucket,
       v.key,
       v.version_id,
       CASE WHEN i.key IS NULL THEN 'missing'
            WHEN i.is_delete_marker THEN 'deleted'
            WHEN i.size <> v.size THEN 'size changed'
            ELSE 'etag changed' END AS problem,
       v.size AS recorded_size,
       i.size AS inventory_size,
       v.etag AS recorded_etag,
       i.e_tag AS inventory_etag
FROM verified v
LEFT JOIN inv i ON i.bucket = v.bucket AND i.key = v.key AND i.version_id = v.version_id
WHERE i.key IS NULL
   OR i.is_delete_marker
   OR i.size <> v.size
   OR (v.etag IS NOT NULL AND i.e_tag IS NOT NULL AND i.e_tag <> v.etag)
ORDER BY 1, 3

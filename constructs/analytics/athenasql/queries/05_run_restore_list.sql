-- name: Archived objects of a run
-- description: The objects of one run that must be restored before it can be processed: its verified objects that the latest S3 Inventory lists in Glacier Flexible Retrieval, Deep Archive or an Intelligent-Tiering archive tier. Parameter: the run id.
-- param: run id
WITH latest AS (
  SELECT source, max(dt) AS dt
  FROM inventory
  WHERE dt >= CAST(CAST(current_date - INTERVAL '3' DAY AS date) AS varchar)
  GROUP BY source
),
inv AS (
  SELECT i.bucket, i.key, i.version_id, i.storage_class, i.intelligent_tiering_access_tier
  FROM inventory i
  JOIN latest l ON i.source = l.source AND i.dt = l.dt
  WHERE NOT i.is_delete_marker
)
SELECT o.bucket,
       o.key,
       o.version_id,
       o.size,
       i.storage_class,
       i.intelligent_tiering_access_tier
FROM runs r
JOIN objects o ON o.run_id = r.run_id AND o.dt = r.dt AND o.verify_id = r.verify_id
JOIN inv i ON i.bucket = o.bucket AND i.key = o.key AND i.version_id = o.version_id
WHERE r.run_id = ?
  AND (i.storage_class IN ('GLACIER', 'DEEP_ARCHIVE')
       OR i.intelligent_tiering_access_tier IN ('ARCHIVE_ACCESS', 'DEEP_ARCHIVE_ACCESS'))
ORDER BY 1, 2

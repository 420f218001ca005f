-- name: Runs per instrument per week
-- description: Verified runs, their objects and bytes by instrument profile and week (Monday, UTC) of verification, over the last 26 weeks of the catalog export.
SELECT profile,
       CAST(date_trunc('week', verified_at) AS date) AS week,
       count(DISTINCT run_id) AS runs,
       sum(object_count) AS objects,
       sum(total_bytes) AS bytes
FROM runs
WHERE dt >= CAST(CAST(current_date - INTERVAL '182' DAY AS date) AS varchar)
GROUP BY 1, 2
ORDER BY 2, 1

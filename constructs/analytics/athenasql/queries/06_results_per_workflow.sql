-- name: Results per workflow and project
-- description: Runs, objects and bytes of results that each workflow wrote (current versions under workflows/<workflow>/<runId>/ of the results bucket, from its latest S3 Inventory), with the workflow's cost-allocation project.
WITH workflows (workflow, project) AS (
  VALUES
    {{workflow_projects}}
),
latest AS (
  SELECT source, max(dt) AS dt
  FROM inventory
  WHERE source = {{results_source}}
    AND dt >= CAST(CAST(current_date - INTERVAL '3' DAY AS date) AS varchar)
  GROUP BY source
),
results AS (
  SELECT split_part(i.key, '/', {{workflow_part}}) AS workflow,
         split_part(i.key, '/', {{run_part}}) AS run_id,
         i.size
  FROM inventory i
  JOIN latest l ON i.source = l.source AND i.dt = l.dt
  WHERE i.is_latest AND NOT i.is_delete_marker
    AND substr(i.key, 1, length({{workflow_prefix}})) = {{workflow_prefix}}
)
SELECT r.workflow,
       coalesce(w.project, '') AS project,
       count(DISTINCT r.run_id) AS runs,
       count(*) AS objects,
       sum(r.size) AS bytes
FROM results r
LEFT JOIN workflows w ON r.workflow = w.workflow
GROUP BY 1, 2
ORDER BY 1

-- name: Cost by project
-- description: Unblended cost of each billing period (month) of the last 12 by the value of the project cost-allocation tag, from the Cost and Usage Report (CUR 2.0); line items without the tag, or with an empty value, are one "(untagged)" row a month. The tag must be activated as a cost-allocation tag in the Billing console.
WITH tagged AS (
  SELECT billing_period,
         CASE WHEN contains(map_keys(resource_tags), {{cost_project_key}})
              THEN nullif(resource_tags[{{cost_project_key}}], '')
         END AS project,
         line_item_unblended_cost AS cost,
         line_item_currency_code AS currency
  FROM cost_and_usage
  WHERE billing_period >= substr(CAST(CAST(date_trunc('month', current_date) - INTERVAL '11' MONTH AS date) AS varchar), 1, 7)
)
SELECT billing_period,
       coalesce(project, '(untagged)') AS project,
       currency,
       round(sum(cost), 2) AS unblended_cost,
       count(*) AS line_items
FROM tagged
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3

-- OEE per shift over time (selected machines pooled) with the plant and world-class targets.
SELECT
    o.window_start                                                     AS "Time",
    sum(o.run_min) / nullIf(sum(o.planned_production_min), 0)
      * sum(o.ideal_run_min) / nullIf(sum(o.run_min), 0)
      * sum(o.good) / nullIf(sum(o.total), 0)                          AS "OEE",
    any(t.plant) / 100                                                 AS "Plant target",
    any(t.world_class) / 100                                           AS "World-class"
FROM fab.fact_oee AS o
CROSS JOIN (
    SELECT sumIf(oee, target = 'plant') AS plant, sumIf(oee, target = 'world_class') AS world_class
    FROM fab.dim_oee_target
) AS t
WHERE o.grain = 'shift' AND o.level = 'machine'
  AND o.entity_id IN (${machine:singlequote})
  AND $__timeFilter(o.window_start)
GROUP BY o.window_start
ORDER BY o.window_start

-- Each machine's last complete shift in the window: OEE in percentage points above (+) or below
-- (-) the plant target, which is data (fab.dim_oee_target).
SELECT o.entity_id AS machine,
       argMax(o.shift_code, o.window_end) AS shift,
       argMax(o.oee, o.window_end) * 100
         - (SELECT any(oee) FROM fab.dim_oee_target WHERE target = 'plant') AS points_vs_target
FROM fab.fact_oee AS o
WHERE o.grain = 'shift' AND o.level = 'machine' AND o.complete = 1 AND o.oee IS NOT NULL
  AND $__timeFilter(o.window_end)
GROUP BY o.entity_id

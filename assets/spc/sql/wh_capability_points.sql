-- Individual values (I chart) of every series over a capability window, each with the within
-- sigma of the limits it was judged against (I-chart limits are centre +- 3 sigma).
SELECT toString(source) AS source, toString(machine_id) AS machine_id, toString(item) AS item,
       toString(recipe_id) AS recipe_id, ts, value, (ucl - lcl) / 6 AS sigma
FROM fab.fact_spc_points
WHERE day >= {first_day:Date} AND day <= {last_day:Date} AND chart = 'I'
ORDER BY source, machine_id, item, recipe_id, ts;

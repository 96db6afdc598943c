-- New SPC violations of rules 1-4 (Western Electric) for the alert sensor.
SELECT toString(source) AS source, toString(machine_id) AS machine_id, toString(item) AS item,
       toString(recipe_id) AS recipe_id, toString(chart) AS chart, ts, subgroup, value, z,
       rule, rule_text, version
FROM fab.spc_violations
WHERE day >= {first_day:Date} AND rule <= 4 AND source IN {sources:Array(String)}
ORDER BY ts;

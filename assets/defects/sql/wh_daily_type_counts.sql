SELECT day, toString(defect_type) AS defect_type, count() AS defects
FROM fab.fact_defect
WHERE day >= {first_day:Date} AND day <= {last_day:Date}
GROUP BY day, defect_type;

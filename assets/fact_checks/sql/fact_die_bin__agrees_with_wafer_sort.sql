-- The day's die bins add up to the sorted wafers' die and fail counts, wafer by wafer.
SELECT countIf(w.dies != b.dies OR w.failed_dies != b.failed) AS failing, count() AS checked
FROM (SELECT wafer_id, test_program, any(dies) AS dies, any(failed_dies) AS failed_dies
      FROM fab.fact_wafer_sort WHERE day = {day:Date} GROUP BY wafer_id, test_program) AS w
LEFT JOIN (SELECT wafer_id, test_program, count() AS dies, countIf(passed = 0) AS failed
           FROM fab.fact_die_bin WHERE day = {day:Date} GROUP BY wafer_id, test_program) AS b
    USING (wafer_id, test_program);

-- Stacked yield map: for each die position of the most-sorted product in the range, the share
-- of its sorted wafers on which that die failed, in bands (row 0 at the top).
SELECT toInt32(die_col) AS "Column", -toInt32(die_row) AS "Row",
       multiIf(share >= 0.3, 'fails on 30 %+ of wafers', share >= 0.15, '15-30 %',
               share >= 0.05, '5-15 %', 'under 5 %') AS "Fail share"
FROM (
    SELECT die_row, die_col, avg(1 - passed) AS share
    FROM fab.fact_die_bin
    WHERE $__timeFilter(ts)
      AND product_id = (SELECT product_id FROM fab.fact_wafer_sort WHERE $__timeFilter(ts)
                        GROUP BY product_id ORDER BY count() DESC, product_id LIMIT 1)
    GROUP BY die_row, die_col
)
ORDER BY "Fail share", "Row", "Column"

SELECT i.ts AS ts, i.inspection_id AS inspection_id, toString(i.machine_id) AS machine_id,
       i.wafer_id AS wafer_id, i.lot_id AS lot_id, toString(i.product_id) AS product_id,
       toInt64(i.defect_count) AS defect_count, ifNull(p.die_area_mm2, 0) AS die_area_mm2
FROM fab.fact_inspection AS i
LEFT JOIN fab.dim_product AS p ON p.product_id = i.product_id
WHERE i.day = {day:Date}
SETTINGS join_use_nulls = 1;

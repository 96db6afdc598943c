SELECT w.wafer_id, w.lot_id, w.slot, w.product_id, l.priority, l.hot_lot, l.release_ts, l.due_ts
FROM fab.dim_wafer AS w
LEFT JOIN fab.dim_lot AS l ON l.lot_id = w.lot_id
WHERE w.wafer_id = {wafer_id:String};

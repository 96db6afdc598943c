-- The digital thread of one wafer: every step in time order.
SELECT step_no, machine_id, recipe_id, track_in_ts, track_out_ts, duration_s, lot_wafers,
       sensor_mean, sensor_min, sensor_max, sensor_n, measurements, inspections, defect_count,
       defect_types
FROM fab.fact_wafer_history
WHERE wafer_id = {wafer_id:String}
ORDER BY track_in_ts, step_no;

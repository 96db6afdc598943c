-- Defects found on one wafer, by inspection.
SELECT ts, inspection_id, machine_id, defect_no, defect_type, x_mm, y_mm, size_um
FROM fab.fact_defect
WHERE wafer_id = {wafer_id:String}
ORDER BY ts, inspection_id, defect_no;

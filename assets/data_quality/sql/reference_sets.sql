-- The known values the rows of a day are checked against.
SELECT 'machine' AS kind, machine_id AS value FROM landing.machine
UNION ALL SELECT 'defect_type', defect_type FROM landing.defect_type
UNION ALL SELECT 'reason_code', reason_code FROM landing.state_reason
UNION ALL SELECT 'state_of:' || reason_code, state FROM landing.state_reason

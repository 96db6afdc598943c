SELECT ts, lot_id, step_no, machine_id, recipe_id, event, wafers
FROM landing.lot_move
WHERE ts >= %(start)s AND ts < %(end)s
ORDER BY ts, lot_id

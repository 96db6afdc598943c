-- KLARF landing queries (landing.inspection/defect from 0002, die index from 0013).

-- name: insert_inspection
INSERT INTO landing.inspection (ts, inspection_id, machine_id, lot_id, wafer_id, step_no,
                                defect_count)
VALUES (%(ts)s, %(inspection_id)s, %(machine_id)s, %(lot_id)s, %(wafer_id)s, %(step_no)s,
        %(defect_count)s)
ON CONFLICT DO NOTHING;

-- name: insert_defect
INSERT INTO landing.defect (ts, inspection_id, defect_no, wafer_id, x_mm, y_mm, size_um,
                            defect_type, die_col, die_row)
VALUES (%(ts)s, %(inspection_id)s, %(defect_no)s, %(wafer_id)s, %(x_mm)s, %(y_mm)s,
        %(size_um)s, %(defect_type)s, %(die_col)s, %(die_row)s)
ON CONFLICT DO NOTHING;

-- name: dead_letter
INSERT INTO landing.dead_letter (source, topic, payload, error)
SELECT 'klarf', %(topic)s, %(payload)s, %(error)s
WHERE NOT EXISTS (SELECT 1 FROM landing.dead_letter
                  WHERE source = 'klarf' AND topic = %(topic)s AND error = %(error)s);

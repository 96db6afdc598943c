-- Sort-result landing queries (tables from ingestion/landing/migrations/0012_sort_results.sql).

-- name: lock
SELECT pg_advisory_xact_lock(4242014);

-- name: existing
SELECT wafer_id, map_sha FROM landing.sort_map
WHERE test_program = %(test_program)s AND wafer_id = ANY(%(wafer_ids)s);

-- name: delete_changed_dies
DELETE FROM landing.sort_result
WHERE test_program = %(test_program)s AND wafer_id = ANY(%(wafer_ids)s);

-- name: delete_changed_maps
DELETE FROM landing.sort_map
WHERE test_program = %(test_program)s AND wafer_id = ANY(%(wafer_ids)s);

-- name: copy_maps
COPY landing.sort_map (wafer_id, test_program, lot_id, map_rows, map_cols, dies, failed_dies,
                       label, map_sha, source, tested_at)
FROM STDIN (FORMAT csv);

-- name: copy_dies
COPY landing.sort_result (wafer_id, test_program, die_row, die_col, bin_code, tested_at)
FROM STDIN (FORMAT csv);

-- name: read_maps
SELECT m.wafer_id, m.lot_id, m.label, m.map_rows, m.map_cols,
       array_agg(r.die_row ORDER BY r.die_row, r.die_col) AS die_rows,
       array_agg(r.die_col ORDER BY r.die_row, r.die_col) AS die_cols,
       array_agg(r.bin_code ORDER BY r.die_row, r.die_col) AS bins
FROM landing.sort_map m JOIN landing.sort_result r USING (wafer_id, test_program)
WHERE m.test_program = %(test_program)s
GROUP BY m.wafer_id, m.lot_id, m.label, m.map_rows, m.map_cols
ORDER BY m.wafer_id;

UPDATE landing.alert SET run_id = %(run_id)s WHERE id = ANY(%(ids)s)

SELECT count(*) FROM landing.inspection WHERE ts >= %(day_start)s AND ts < %(day_end)s;

-- Shift windows ending within [{start:DateTime64(3, 'UTC')}, {end:DateTime64(3, 'UTC')}].
SELECT shift_date, shift_code, start_utc AS window_start, end_utc AS window_end
FROM fab.dim_shift
WHERE end_utc > {start:DateTime64(3, 'UTC')} AND end_utc <= {end:DateTime64(3, 'UTC')}
ORDER BY start_utc;

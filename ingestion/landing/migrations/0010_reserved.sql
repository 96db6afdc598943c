-- Placeholder for another branch's 0010 (migration numbers may not have gaps).
-- The integrator drops this file when the real 0010 is merged.
SELECT 1;

-- Placeholder for another branch's 0011 (migration numbers may not have gaps).
-- The integrator drops this file when the real 0011 is merged.
SELECT 1;

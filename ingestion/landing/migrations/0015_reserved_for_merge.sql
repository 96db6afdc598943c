-- Placeholder: version 0015 belongs to another branch (the integrator drops this file at merge).
SELECT 1;

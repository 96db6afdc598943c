-- Placeholder: version 0011 belongs to another branch (the integrator drops this file at merge).
SELECT 1;

-- Placeholder: version 0010 belongs to another branch (the integrator drops this file at merge).
SELECT 1;

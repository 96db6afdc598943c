-- Placeholder: version 0012 belongs to another branch (the integrator drops this file at merge).
SELECT 1;

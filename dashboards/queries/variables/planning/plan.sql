-- Stored plans, newest first (the default is the latest nightly or on-demand plan).
SELECT plan_id AS "Plan" FROM landing.plan_run ORDER BY plan_start DESC LIMIT 50

-- Wafers (good + scrap) the day's hourly facts hold.
SELECT sum(total) AS observed, count() AS checked
FROM fab.fact_production_hourly WHERE day = {day:Date};

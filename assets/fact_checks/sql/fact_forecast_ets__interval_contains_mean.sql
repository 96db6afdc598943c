SELECT countIf(NOT (pi_low <= mean AND mean <= pi_high)) AS failing, count() AS checked
FROM fab.fact_forecast_ets WHERE day = {day:Date};

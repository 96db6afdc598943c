-- Health within [0, 100], scored with the same model and probability as the day's risk.
SELECT countIf(NOT (h.health BETWEEN 0 AND 100) OR r.machine_id = ''
               OR h.model_version != r.model_version OR h.probability != r.probability)
           AS failing,
       count() AS checked
FROM (SELECT * FROM fab.fact_machine_health WHERE day = {day:Date}) AS h
LEFT JOIN (SELECT * FROM fab.fact_failure_risk WHERE day = {day:Date}) AS r
    ON r.machine_id = h.machine_id;

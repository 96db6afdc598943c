-- Probabilities within [0, 1] and each band what its probability says (HIGH > 0.7, MEDIUM > 0.4).
SELECT countIf(NOT (probability BETWEEN 0 AND 1)
               OR band != multiIf(probability > 0.7, 'HIGH', probability > 0.4, 'MEDIUM', 'LOW'))
           AS failing,
       count() AS checked
FROM fab.fact_failure_risk WHERE day = {day:Date};

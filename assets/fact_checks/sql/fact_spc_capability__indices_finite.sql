SELECT countIf(sigma_within < 0 OR sigma_overall < 0
               OR (sigma_within > 0 AND (NOT isFinite(ifNull(cp, 0)) OR NOT isFinite(ifNull(cpk, 0))))
               OR (sigma_overall > 0 AND (NOT isFinite(ifNull(pp, 0)) OR NOT isFinite(ifNull(ppk, 0))))
       ) AS failing,
       count() AS checked
FROM fab.fact_spc_capability WHERE day = {day:Date};

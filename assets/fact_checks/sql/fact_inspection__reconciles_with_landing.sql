SELECT count() AS observed, count() AS checked FROM fab.fact_inspection WHERE day = {day:Date};

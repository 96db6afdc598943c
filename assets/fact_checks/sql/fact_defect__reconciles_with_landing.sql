SELECT count() AS observed, count() AS checked FROM fab.fact_defect WHERE day = {day:Date};

SELECT countIf(track_out_ts < track_in_ts OR duration_s < 0 OR NOT isFinite(duration_s)) AS failing,
       count() AS checked
FROM fab.fact_wafer_history WHERE day = {day:Date};

-- One reading per machine, metric and instant. The landing key already rejects exact
-- re-deliveries; should two readings ever share an instant, the one with the better
-- OPC UA status (0 = Good, lowest code) wins.
select distinct on (machine_id, metric, ts)
    ts,
    machine_id,
    metric,
    value,
    quality,
    quality = 0 as is_good
from {{ source('landing', 'sensor_reading') }}
order by machine_id, metric, ts, quality

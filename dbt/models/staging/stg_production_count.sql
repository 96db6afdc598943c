-- Track-out counts per machine: good and scrap wafers of one lot step.
select
    ts,
    machine_id,
    lot_id,
    step_no,
    good,
    scrap,
    good + scrap as total
from {{ source('landing', 'production_count') }}

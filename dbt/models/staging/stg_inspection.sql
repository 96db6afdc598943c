-- Wafer inspections with the number of defects found.
select
    ts,
    inspection_id,
    machine_id,
    lot_id,
    wafer_id,
    step_no,
    defect_count
from {{ source('landing', 'inspection') }}

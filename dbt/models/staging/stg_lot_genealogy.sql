-- The genealogy of every wafer: its lot and product, and each step it went through with the
-- tool, recipe and track-in/track-out times (the lot moves as a whole, so its wafers share them).
select
    wafer.wafer_id,
    wafer.slot,
    lot.lot_id,
    lot.product_id,
    lot.priority,
    lot.hot_lot,
    step.step_no,
    step.visit_no,
    step.machine_id,
    step.recipe_id,
    step.track_in_ts,
    step.track_out_ts,
    step.cycle_s
from {{ source('landing', 'lot') }} as lot
inner join {{ source('landing', 'wafer') }} as wafer
    on wafer.lot_id = lot.lot_id
inner join {{ ref('stg_lot_step') }} as step
    on step.lot_id = lot.lot_id

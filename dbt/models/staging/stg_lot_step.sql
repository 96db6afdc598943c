-- One row per visit of a lot to a route step: the tool, the recipe and the track-in and
-- track-out times. The n-th track-in of a lot step pairs with its n-th track-out; a visit still
-- in process has no track-out yet.
with moves as (
    select
        lot_id,
        step_no,
        machine_id,
        recipe_id,
        event,
        ts,
        wafers,
        row_number() over (partition by lot_id, step_no, event order by ts) as visit_no
    from {{ source('landing', 'lot_move') }}
),

track_in as (
    select * from moves where event = 'track_in'
),

track_out as (
    select * from moves where event = 'track_out'
)

select
    coalesce(i.lot_id, o.lot_id) as lot_id,
    coalesce(i.step_no, o.step_no) as step_no,
    coalesce(i.visit_no, o.visit_no) as visit_no,
    coalesce(i.machine_id, o.machine_id) as machine_id,
    coalesce(i.recipe_id, o.recipe_id) as recipe_id,
    i.ts as track_in_ts,
    o.ts as track_out_ts,
    i.wafers as wafers_in,
    o.wafers as wafers_out,
    extract(epoch from o.ts - i.ts)::double precision as cycle_s
from track_in as i
full outer join track_out as o
    on o.lot_id = i.lot_id
    and o.step_no = i.step_no
    and o.visit_no = i.visit_no

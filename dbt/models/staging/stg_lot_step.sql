-- One row per visit of a lot to a route step: the tool, the recipe and the track-in and
-- track-out times. A track-in pairs with the first track-out of the same lot step before the
-- next track-in; a visit still in process (or aborted, e.g. by an interlock quarantine) has no
-- track-out.
with track_in as (
    select
        lot_id,
        step_no,
        machine_id,
        recipe_id,
        ts,
        wafers,
        row_number() over (partition by lot_id, step_no order by ts) as visit_no,
        lead(ts) over (partition by lot_id, step_no order by ts) as next_track_in_ts
    from {{ source('landing', 'lot_move') }}
    where event = 'track_in'
)

select
    i.lot_id,
    i.step_no,
    i.visit_no,
    i.machine_id,
    i.recipe_id,
    i.ts as track_in_ts,
    o.ts as track_out_ts,
    i.wafers as wafers_in,
    o.wafers as wafers_out,
    extract(epoch from o.ts - i.ts)::double precision as cycle_s
from track_in as i
left join lateral (
    select out_move.ts, out_move.wafers
    from {{ source('landing', 'lot_move') }} as out_move
    where out_move.lot_id = i.lot_id
        and out_move.step_no = i.step_no
        and out_move.event = 'track_out'
        and out_move.ts >= i.ts
        and (i.next_track_in_ts is null or out_move.ts < i.next_track_in_ts)
    order by out_move.ts
    limit 1
) as o on true

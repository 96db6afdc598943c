-- State events (a row = the state from ts on) turned into intervals: each event lasts until the
-- machine's next event. The newest interval of a machine is still open (end_ts and duration_s
-- are null) until its next event lands.
with events as (
    select
        machine_id,
        ts as start_ts,
        lead(ts) over (partition by machine_id order by ts) as end_ts,
        state,
        reason_code
    from {{ source('landing', 'machine_state') }}
)

select
    events.machine_id,
    events.start_ts,
    events.end_ts,
    events.state,
    events.reason_code,
    reason.loss_category,
    extract(epoch from events.end_ts - events.start_ts)::double precision as duration_s
from events
left join {{ source('landing', 'state_reason') }} as reason
    on reason.reason_code = events.reason_code

-- Each scheduled flight with the instants the feature views and the feature table key on: its
-- scheduled departure, its actual departure (NULL when it never left: cancelled), when that
-- departure counts as known, and the id of its scheduled UTC hour (the origin timetable's
-- key). A departure counts as known from the later of its actual and scheduled times: a flight
-- that leaves early is then never known to have left before its own prediction time (at any
-- lead), so no flight's features hold its own departure. Outcomes stay in: the feature views
-- use departures of other flights as events.

select
    flight_id,
    flight_date,
    carrier,
    flight_number,
    tailnum,
    origin,
    dest,
    sched_dep_time,
    sched_dep_hour,
    sched_dep_minute,
    sched_arr_time,
    distance,
    scheduled_departure_utc,
    scheduled_departure_hour_utc,
    {{ hour_id('scheduled_departure_hour_utc') }}                    as scheduled_hour_id,
    scheduled_departure_utc + to_minutes(cast(dep_delay as bigint))  as departed_at_utc,
    -- (greatest() skips NULLs: a flight that never left has no departure to know)
    case when dep_delay is not null then greatest(
        scheduled_departure_utc + to_minutes(cast(dep_delay as bigint)),
        scheduled_departure_utc
    ) end                                                            as departure_known_at_utc,
    dep_delay,
    arr_delay
from {{ ref('stg_flights') }}

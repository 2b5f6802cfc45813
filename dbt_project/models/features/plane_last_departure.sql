{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        window_column='feature_date',
        on_schema_change='fail'
    )
}}
-- Each departure of each plane, as an event: its departure delay, known from the minute after
-- it counts as known (int_flight_times: when it left, not before its scheduled time), so that
-- at t a plane's "last departure" is one known before t, as origin_live counts departures in
-- [t - 2 h, t), and never the flight being predicted. Retrieved as of t with a TTL of 12 hours, it is the
-- plane's earlier departure of the day: a late plane tends to stay late. Two departures of one
-- plane in the same minute (a data error) keep the later scheduled one.

select
    tailnum,
    departure_known_at_utc + interval 1 minute  as event_timestamp,
    flight_date                             as feature_date,
    dep_delay                               as last_dep_delay
from {{ ref('int_flight_times') }}
where {{ date_window_predicate('flight_date') }}
  and tailnum is not null
  and departure_known_at_utc is not null
qualify row_number() over (
    partition by tailnum, departure_known_at_utc
    order by scheduled_departure_utc desc, flight_id desc
) = 1

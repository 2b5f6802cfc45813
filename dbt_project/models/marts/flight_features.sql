{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        window_column='flight_date',
        on_schema_change='fail'
    )
}}
-- ML feature table: one row per flight, with its entity keys, the flight's own columns (known
-- from the timetable, before any prediction time) and its labels, kept apart. Everything that
-- changes with time (the origin's live state and weather, histories, the plane's day) comes
-- from the feature views in models/features, retrieved as of each model's prediction time.
-- Processes the flight_date window given by PLATFORM_MIN_DATE / PLATFORM_MAX_DATE in dbt's
-- environment (all dates when unset) and replaces exactly that window (strategy replace_window,
-- macros/incremental_replace_window.sql).

with flights as (

    select *
    from {{ ref('int_flight_times') }}
    where {{ date_window_predicate('flight_date') }}

)

select
    -- keys
    flight_id,
    flight_date,
    scheduled_departure_utc,
    tailnum,
    flight_number,
    scheduled_hour_id,
    -- the flight's own columns
    cast(extract('month' from flight_date) as integer)          as "month",
    cast(isodow(flight_date) as integer)                        as day_of_week,
    sched_dep_hour,
    sched_dep_minute,
    cast(sched_arr_time // 100 as integer)                      as sched_arr_hour,
    carrier,
    origin,
    dest,
    distance,
    -- labels (NULL when the flight was cancelled or diverted)
    cast(arr_delay as double)                                   as arr_delay,
    case when arr_delay is not null then arr_delay > 15 end     as is_delayed
from flights

{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        window_column='feature_date',
        on_schema_change='fail'
    )
}}
-- How busy the origin's timetable is around a departure: the flights scheduled at the origin in
-- each scheduled UTC hour of the day and in the hour after it. A timetable is published ahead,
-- so a row is known from local midnight of the day before (event_timestamp). The hour after
-- 23:00 local counts that day's flights only (the next day's file is not there yet); NYC's
-- departures start around 05:00, so it is zero or nearly.

with hourly as (

    select
        origin,
        flight_date                         as feature_date,
        scheduled_hour_id,
        count(*)                            as flights
    from {{ ref('int_flight_times') }}
    where {{ date_window_predicate('flight_date') }}
    group by all

)

select
    this_hour.origin,
    this_hour.scheduled_hour_id,
    {{ local_day_start('this_hour.feature_date - 1') }}    as event_timestamp,
    this_hour.feature_date,
    this_hour.flights                                       as flights_this_hour,
    coalesce(next_hour.flights, 0)                          as flights_next_hour
from hourly as this_hour
left join hourly as next_hour
    on  next_hour.origin = this_hour.origin
    and next_hour.feature_date = this_hour.feature_date
    and next_hour.scheduled_hour_id = this_hour.scheduled_hour_id + 1

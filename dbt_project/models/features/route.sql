{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        window_column='feature_date',
        on_schema_change='fail'
    )
}}
-- Each route's distance as its day's timetable gives it: the flight's own `distance` column,
-- which the prediction service looks up by origin and destination (a request does not carry
-- it). Known from local midnight of the day before, like origin_timetable, and never expiring:
-- a route keeps its last distance. A route's flights of one day share one distance.

select
    origin,
    dest,
    {{ local_day_start('flight_date - 1') }}    as event_timestamp,
    flight_date                                 as feature_date,
    max(distance)                               as distance
from {{ ref('int_flight_times') }}
where {{ date_window_predicate('flight_date') }}
group by origin, dest, flight_date

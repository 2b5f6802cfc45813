{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        window_column='flight_date',
        on_schema_change='fail'
    )
}}
-- ML feature table: one row per flight. Only information known before the scheduled
-- departure is used as a feature; labels come last. Processes the flight_date window given
-- by the vars min_date / max_date (all dates when unset) and replaces exactly that window in
-- the existing table (strategy replace_window, macros/incremental_replace_window.sql).

with flights as (

    select *
    from {{ ref('int_flights_enriched') }}
    where {{ date_window_predicate('flight_date') }}

)

select
    -- keys
    flight_id,
    flight_date,
    scheduled_departure_utc,
    -- features known before departure
    cast(extract('month' from flight_date) as integer)          as "month",
    cast(isodow(flight_date) as integer)                        as day_of_week,
    sched_dep_hour,
    sched_dep_minute,
    cast(sched_arr_time // 100 as integer)                      as sched_arr_hour,
    carrier,
    origin,
    dest,
    distance,
    plane_year,
    cast(extract('year' from flight_date) as integer) - plane_year  as plane_age_years,
    plane_seats,
    plane_engines,
    plane_manufacturer,
    plane_engine_type,
    dest_lat,
    dest_lon,
    dest_alt,
    weather_temp,
    weather_dewp,
    weather_humid,
    weather_wind_dir,
    weather_wind_speed,
    weather_wind_gust,
    weather_precip,
    weather_pressure,
    weather_visib,
    -- labels (NULL when the flight was cancelled or diverted)
    cast(arr_delay as double)                                   as arr_delay,
    case when arr_delay is not null then arr_delay > 15 end     as is_delayed,
    -- metadata: UTC hour of the weather observation used (NULL = no fresh observation)
    weather_observed_at_utc
from flights

-- Each flight with its plane, origin and destination airports and the ORIGIN weather known at
-- the scheduled departure (point-in-time). See the model description for the weather rule.
{%- set weather_columns = ['temp', 'dewp', 'humid', 'wind_dir', 'wind_speed', 'wind_gust',
                           'precip', 'pressure', 'visib'] %}
{%- set max_weather_age = "interval 3 hour" %}
{#- weather row is used only if observed at most 3 hours before the scheduled departure #}
{%- set weather_is_fresh = "weather.observed_at_utc >= flights.scheduled_departure_utc - " ~ max_weather_age %}

with flights as (

    select * from {{ ref('stg_flights') }}

),

planes as (

    select * from {{ ref('stg_planes') }}

),

airports as (

    select * from {{ ref('stg_airports') }}

),

weather as (

    select * from {{ ref('stg_weather') }}

)

select
    -- flight
    flights.flight_id,
    flights.flight_date,
    flights.scheduled_departure_utc,
    flights.scheduled_departure_hour_utc,
    flights.carrier,
    flights.flight_number,
    flights.tailnum,
    flights.origin,
    flights.dest,
    flights.sched_dep_time,
    flights.sched_dep_hour,
    flights.sched_dep_minute,
    flights.sched_arr_time,
    flights.distance,
    -- outcomes (post-departure; never to be used as features)
    flights.dep_time,
    flights.dep_delay,
    flights.arr_time,
    flights.arr_delay,
    flights.air_time,
    -- plane
    planes.year_built                                   as plane_year,
    planes.aircraft_type                                as plane_type,
    planes.manufacturer                                 as plane_manufacturer,
    planes.model                                        as plane_model,
    planes.engines                                      as plane_engines,
    planes.seats                                        as plane_seats,
    planes.engine_type                                  as plane_engine_type,
    -- origin airport
    origin_airports.airport_name                        as origin_name,
    origin_airports.lat                                 as origin_lat,
    origin_airports.lon                                 as origin_lon,
    origin_airports.alt                                 as origin_alt,
    -- destination airport
    dest_airports.airport_name                          as dest_name,
    dest_airports.lat                                   as dest_lat,
    dest_airports.lon                                   as dest_lon,
    dest_airports.alt                                   as dest_alt,
    dest_airports.tzone                                 as dest_tzone,
    -- origin weather, point-in-time, NULL when older than 3 hours or missing
    case when {{ weather_is_fresh }} then weather.observed_at_utc end   as weather_observed_at_utc,
    case when {{ weather_is_fresh }} then weather.available_at_utc end  as weather_available_at_utc,
    {% for c in weather_columns -%}
    case when {{ weather_is_fresh }} then weather.{{ c }} end           as weather_{{ c }},
    {% endfor -%}
    -- lineage
    flights.source_file,
    flights.source_line,
    flights.loaded_at
from flights
-- latest origin observation already available (observed hour + 1 h) at the scheduled departure
asof left join weather
    on  flights.origin = weather.origin
    and flights.scheduled_departure_utc >= weather.available_at_utc
left join planes
    on planes.tailnum = flights.tailnum
left join airports as origin_airports
    on origin_airports.faa = flights.origin
left join airports as dest_airports
    on dest_airports.faa = flights.dest

-- One row per scheduled flight of the raw feed, typed. Times of day (sched_dep_time, dep_time,
-- ...) stay as the delivered local HMM integers; instants are explicit UTC TIMESTAMPTZ.
with source as (

    select * from {{ source('raw', 'flights') }}

),

typed as (

    select
        -- local calendar date of the scheduled departure (America/New_York); the ingest
        -- guarantees partition_date = make_date(year, month, day), and filtering on it lets
        -- a daily window read only that partition
        partition_date                                   as flight_date,
        cast("year" as integer)                          as year_local,
        cast("month" as integer)                         as month_local,
        cast("day" as integer)                           as day_local,
        trim(carrier)                                    as carrier,
        cast(flight as integer)                          as flight_number,
        {{ na_to_null('tailnum') }}                      as tailnum,
        trim(origin)                                     as origin,
        trim(dest)                                       as dest,
        cast(sched_dep_time as integer)                  as sched_dep_time,
        cast("hour" as integer)                          as sched_dep_hour,
        cast("minute" as integer)                        as sched_dep_minute,
        cast(sched_arr_time as integer)                  as sched_arr_time,
        cast(time_hour as timestamptz)                   as scheduled_departure_hour_utc,
        cast(time_hour as timestamptz)
            + to_minutes(cast("minute" as integer))      as scheduled_departure_utc,
        cast(distance as double)                         as distance,
        -- outcomes (only known after departure)
        {{ cast_na('dep_time', 'integer') }}             as dep_time,
        {{ cast_na('dep_delay', 'double') }}             as dep_delay,
        {{ cast_na('arr_time', 'integer') }}             as arr_time,
        {{ cast_na('arr_delay', 'double') }}             as arr_delay,
        {{ cast_na('air_time', 'double') }}              as air_time,
        -- lineage
        source_file,
        source_line,
        loaded_at
    from source

)

select
    strftime(flight_date, '%Y-%m-%d')
        || '_' || carrier || cast(flight_number as varchar)
        || '_' || origin
        || '_' || lpad(cast(sched_dep_time as varchar), 4, '0')  as flight_id,
    *
from typed

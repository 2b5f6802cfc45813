-- Hourly weather observations per NYC origin airport, typed, one row per (origin, UTC hour).
-- The local hour 1 of 2013-11-03 (end of DST) legitimately appears twice with distinct UTC
-- instants; exact duplicates of (origin, time_hour UTC) from re-deliveries are dropped,
-- keeping the most recently loaded row (then the highest source line).
with source as (

    select * from {{ source('raw', 'weather') }}

),

typed as (

    select
        trim(origin)                              as origin,
        cast(time_hour as timestamptz)            as observed_at_utc,
        partition_date                            as observation_date_local,
        cast("hour" as integer)                   as observation_hour_local,
        {{ cast_na('temp', 'double') }}           as temp,
        {{ cast_na('dewp', 'double') }}           as dewp,
        {{ cast_na('humid', 'double') }}          as humid,
        {{ cast_na('wind_dir', 'double') }}       as wind_dir,
        {{ cast_na('wind_speed', 'double') }}     as wind_speed,
        {{ cast_na('wind_gust', 'double') }}      as wind_gust,
        {{ cast_na('precip', 'double') }}         as precip,
        {{ cast_na('pressure', 'double') }}       as pressure,
        {{ cast_na('visib', 'double') }}          as visib,
        source_file,
        source_line,
        loaded_at
    from source

),

deduplicated as (

    select *
    from typed
    qualify row_number() over (
        partition by origin, observed_at_utc
        order by loaded_at desc, source_line desc, source_file desc
    ) = 1

)

select
    origin,
    observed_at_utc,
    -- the observation labelled hour H is recorded at about H:51: usable from H+1:00
    observed_at_utc + interval 1 hour             as available_at_utc,
    observation_date_local,
    observation_hour_local,
    temp,
    dewp,
    humid,
    wind_dir,
    wind_speed,
    wind_gust,
    precip,
    pressure,
    visib,
    source_file,
    source_line,
    loaded_at
from deduplicated

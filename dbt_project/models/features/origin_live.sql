{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        window_column='feature_date',
        on_schema_change='fail'
    )
}}
-- The live state of each origin airport, on a grid of one row per origin and minute of the
-- local day: at event_timestamp s, the departures in [s - 2 h, s), their mean departure delay,
-- the flights scheduled in [s - 2 h, s) that had not left by s, and the latest weather
-- observation available at s (if at most 3 hours old). A grid, not a row per event: a feature
-- as of t must count what happened in the two hours before t itself, which a row keyed by its
-- last event cannot say. Scheduled and departure times are whole minutes, so a prediction
-- time t always falls on the grid and the state is exactly the one at t.
{%- set weather_columns = ['temp', 'dewp', 'humid', 'wind_dir', 'wind_speed', 'wind_gust',
                           'precip', 'pressure', 'visib'] %}

with origin_days as (

    select distinct origin, flight_date as feature_date
    from {{ ref('int_flight_times') }}
    where {{ date_window_predicate('flight_date') }}

),

grid as (

    select
        origin,
        feature_date,
        unnest(generate_series(
            {{ local_day_start('feature_date') }},
            {{ local_day_start('feature_date + 1') }} - interval 1 minute,
            interval 1 minute
        )) as event_timestamp
    from origin_days

),

-- the flights that can leave, or be waiting, in the window's two-hour spans: a flight delayed
-- by hours left days after its scheduled date; one scheduled just after midnight may leave
-- just before it
flights as (

    select origin, scheduled_departure_utc, departed_at_utc, departure_known_at_utc, dep_delay
    from {{ ref('int_flight_times') }}
    where {{ date_window_predicate('flight_date', lookback_days=2, lookahead_days=1) }}

),

-- Each flight's effect on the counts, as changes that hold from a minute on. A departure known
-- at d (int_flight_times: not before its scheduled time) counts for the minutes s with d in
-- [s - 2 h, s): from d + 1 min to d + 2 h. A flight
-- scheduled at c is waiting at s if c is in [s - 2 h, s) and it has not left by s: from
-- c + 1 min to the earlier of c + 2 h and its departure. A running sum of the changes then gives
-- every minute's state in one pass (a join of every minute with every flight of its two hours
-- costs a hundred times more rows on a year).
changes as (

    select origin, departure_known_at_utc + interval 1 minute as changed_at,
           1 as departures, dep_delay as departure_delay, 0 as waiting
    from flights where departure_known_at_utc is not null
    union all
    select origin, departure_known_at_utc + interval 2 hour + interval 1 minute,
           -1, -dep_delay, 0
    from flights where departure_known_at_utc is not null
    union all
    select origin, scheduled_departure_utc + interval 1 minute, 0, 0, 1
    from flights where departed_at_utc is null or departed_at_utc > scheduled_departure_utc
    union all
    select origin,
           least(coalesce(departed_at_utc, scheduled_departure_utc + interval 2 hour),
                 scheduled_departure_utc + interval 2 hour) + interval 1 minute,
           0, 0, -1
    from flights where departed_at_utc is null or departed_at_utc > scheduled_departure_utc

),

running as (

    select
        origin,
        changed_at,
        sum(sum(departures)) over by_time         as departures,
        sum(sum(departure_delay)) over by_time    as departure_delay,
        sum(sum(waiting)) over by_time            as waiting
    from changes
    group by origin, changed_at
    window by_time as (partition by origin order by changed_at rows unbounded preceding)

),

state as (

    select
        grid.origin,
        grid.event_timestamp,
        coalesce(running.departures, 0)                                 as departures_last_2h,
        running.departure_delay / nullif(running.departures, 0)         as mean_dep_delay_last_2h,
        coalesce(running.waiting, 0)                                    as waiting_last_2h
    from grid
    asof left join running
        on  grid.origin = running.origin
        and grid.event_timestamp >= running.changed_at

),

weather as (

    select *
    from {{ ref('stg_weather') }}
    where {{ date_window_predicate('observation_date_local', lookback_days=1) }}

),

grid_weather as (

    select
        grid.origin,
        grid.event_timestamp,
        case when weather.observed_at_utc >= grid.event_timestamp - interval 3 hour
             then weather.observed_at_utc end                           as weather_observed_at_utc,
        {% for c in weather_columns -%}
        case when weather.observed_at_utc >= grid.event_timestamp - interval 3 hour
             then weather.{{ c }} end                                   as weather_{{ c }}{{ "," if not loop.last }}
        {% endfor %}
    from grid
    asof left join weather
        on  grid.origin = weather.origin
        and grid.event_timestamp >= weather.available_at_utc

)

select
    grid.origin,
    grid.event_timestamp,
    grid.feature_date,
    cast(state.departures_last_2h as bigint)     as departures_last_2h,
    state.mean_dep_delay_last_2h,
    cast(state.waiting_last_2h as bigint)        as waiting_last_2h,
    {% for c in weather_columns -%}
    grid_weather.weather_{{ c }},
    {% endfor -%}
    grid_weather.weather_observed_at_utc
from grid
join state using (origin, event_timestamp)
join grid_weather using (origin, event_timestamp)

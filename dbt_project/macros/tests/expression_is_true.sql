{#
  Every row satisfies the SQL boolean expression (rows where it is false or NULL fail).
  column_name is accepted (column-level use) but the expression must name columns itself.
  Optional date_column restricts the check to the run's window (macros/date_window.sql).
#}
{% test expression_is_true(model, expression, date_column=none, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% if date_column %}  and {{ date_window_predicate(date_column) }}{% endif %}
{% endtest %}

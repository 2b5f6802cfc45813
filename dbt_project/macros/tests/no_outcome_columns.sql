{#
  Fails (returns one row per offending column) when the tested relation has a column whose
  name is in forbidden_columns: outcomes only known after departure must never reach a
  feature table (target leakage). Reads information_schema.columns, so it costs nothing.
#}
{% test no_outcome_columns(model, forbidden_columns=['dep_delay', 'dep_time', 'arr_time', 'air_time']) %}
select
    table_schema,
    table_name,
    column_name as forbidden_column
from information_schema.columns
where lower(table_catalog) = lower('{{ model.database }}')
  and lower(table_schema) = lower('{{ model.schema }}')
  and lower(table_name) = lower('{{ model.identifier }}')
  and lower(column_name) in (
    {%- for c in forbidden_columns %}'{{ c | lower }}'{{ ", " if not loop.last }}{% endfor -%}
  )
{% endtest %}

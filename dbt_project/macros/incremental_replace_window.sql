{#
  Custom incremental strategy "replace_window" (config incremental_strategy='replace_window',
  window_column='<date column>'). In one transaction: delete every target row whose
  window_column is inside the run's window (date_window_predicate), then insert the freshly
  built rows (the model selects exactly the same window). Re-running a window is idempotent,
  and days of the window that no longer produce rows are emptied, never left stale.
  Without a window (macros/date_window.sql) it is "all dates": the whole table is replaced.
#}
{% macro get_incremental_replace_window_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set window_column = config.get('window_column', 'flight_date') -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ date_window_predicate(adapter.quote(window_column)) }};

    insert into {{ target }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }}
    from {{ source }}
{%- endmacro %}

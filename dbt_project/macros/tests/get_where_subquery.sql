{#
  Override of dbt's get_where_subquery (used by every generic test to apply its `where`
  config). Test configs in .yml cannot call project macros, so a `where` may contain the
  placeholder __date_window(<date column>)__, replaced at run time by
  date_window_predicate('<date column>'): the test then checks only the run's window
  (macros/date_window.sql; all rows when it is unset).
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set pattern = '__date_window\\(\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)__' -%}
        {%- set ns = namespace(where=where) -%}
        {%- for column in modules.re.findall(pattern, where) -%}
            {%- set ns.where = ns.where | replace('__date_window(' ~ column ~ ')__', date_window_predicate(column)) -%}
        {%- endfor -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ ns.where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

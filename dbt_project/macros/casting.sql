{#
  Raw columns are VARCHAR with R-style "NA" for missing values.
  na_to_null(col)        -> VARCHAR with '' / 'NA' turned into NULL
  cast_na(col, type)     -> typed value, NULL for missing
#}
{% macro na_to_null(column) -%}
    nullif(nullif(trim({{ column }}), 'NA'), '')
{%- endmacro %}

{% macro cast_na(column, data_type) -%}
    cast({{ na_to_null(column) }} as {{ data_type }})
{%- endmacro %}

{#
  Time helpers shared by the feature views and the feature table.

  hour_id(ts)          -> BIGINT hours since 1970-01-01 UTC of a TIMESTAMPTZ (a join key that an
                          online store can hold, unlike a timestamp)
  local_day_start(d)   -> TIMESTAMPTZ of local midnight (America/New_York) starting DATE d
  static_timestamp()   -> the event timestamp of reference data valid at every time
#}
{% macro hour_id(ts) -%}
    (cast(epoch({{ ts }}) as bigint) // 3600)
{%- endmacro %}

{% macro local_day_start(day) -%}
    (cast({{ day }} as timestamp) at time zone 'America/New_York')
{%- endmacro %}

{% macro static_timestamp() -%}
    cast('1970-01-01 00:00:00+00' as timestamptz)
{%- endmacro %}

{#
  The processing window of the incremental models, from the environment variables
  PLATFORM_MIN_DATE / PLATFORM_MAX_DATE (inclusive 'YYYY-MM-DD' strings). Either may be unset
  or empty: the window is then open on that side; both unset = all dates.

  Environment variables, not --vars, and read only when executing: dbt keeps the hash of the
  --vars in its saved parse state and parses the whole project again whenever they change, so
  each day's run would pay a full parse; an env_var read only at execution leaves the parse
  state alone (the window never changes what a model refers to or how it is configured).

  date_window_bounds()            -> {'min_date': 'YYYY-MM-DD' or none, 'max_date': ... }
  date_window_predicate(column)   -> SQL predicate on a DATE column ("true" when no window)
  date_window_predicate(column, lookback_days=n, lookahead_days=m)
                                  -> the window widened by n days before it and m after it
                                     (the days a feature view reads to build the window's rows)

  Used by the model (select), by its incremental strategy (delete) and by its tests, so all
  three always see exactly the same set of days.
#}
{% macro date_window_bounds() -%}
    {%- set bounds = {} -%}
    {%- for name in ['min_date', 'max_date'] -%}
        {%- set raw_value = env_var('PLATFORM_' ~ name | upper, '') if execute else '' -%}
        {%- if (raw_value | trim) == '' -%}
            {%- do bounds.update({name: none}) -%}
        {%- else -%}
            {%- set text = raw_value | trim -%}
            {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
                {{ exceptions.raise_compiler_error("PLATFORM_" ~ name | upper ~ " must be a 'YYYY-MM-DD' date, got: " ~ text) }}
            {%- endif -%}
            {%- do modules.datetime.datetime.strptime(text, '%Y-%m-%d') -%}
            {%- do bounds.update({name: text}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if bounds['min_date'] and bounds['max_date'] and bounds['min_date'] > bounds['max_date'] -%}
        {{ exceptions.raise_compiler_error("PLATFORM_MIN_DATE " ~ bounds['min_date'] ~ " is after PLATFORM_MAX_DATE " ~ bounds['max_date']) }}
    {%- endif -%}
    {{ return(bounds) }}
{%- endmacro %}

{% macro date_window_predicate(column='flight_date', lookback_days=0, lookahead_days=0) -%}
    {%- set b = date_window_bounds() -%}
    {%- set low = "date '" ~ b['min_date'] ~ "' - " ~ lookback_days -%}
    {%- set high = "date '" ~ b['max_date'] ~ "' + " ~ lookahead_days -%}
    {%- if b['min_date'] and b['max_date'] -%}
        ({{ column }} between {{ low }} and {{ high }})
    {%- elif b['min_date'] -%}
        ({{ column }} >= {{ low }})
    {%- elif b['max_date'] -%}
        ({{ column }} <= {{ high }})
    {%- else -%}
        (true)
    {%- endif -%}
{%- endmacro %}

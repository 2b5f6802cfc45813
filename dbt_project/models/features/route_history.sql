{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        window_column='feature_date',
        on_schema_change='fail'
    )
}}
-- Trailing arrival-delay history by origin and dest (see macros/trailing_outcome_history.sql).
{{ trailing_outcome_history(['origin', 'dest']) }}

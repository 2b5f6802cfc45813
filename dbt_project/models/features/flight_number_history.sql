{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window',
        window_column='feature_date',
        on_schema_change='fail'
    )
}}
-- Trailing arrival-delay history by carrier and flight_number (see macros/trailing_outcome_history.sql).
{{ trailing_outcome_history(['carrier', 'flight_number']) }}

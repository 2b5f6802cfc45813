with source as (

    select * from {{ source('raw', 'planes') }}

)

select
    trim(tailnum)                              as tailnum,
    {{ cast_na('"year"', 'integer') }}         as year_built,
    {{ na_to_null('type') }}                   as aircraft_type,
    {{ na_to_null('manufacturer') }}           as manufacturer,
    {{ na_to_null('model') }}                  as model,
    {{ cast_na('engines', 'integer') }}        as engines,
    {{ cast_na('seats', 'integer') }}          as seats,
    {{ cast_na('speed', 'double') }}           as speed,
    {{ na_to_null('engine') }}                 as engine_type,
    source_file,
    source_line,
    loaded_at
from source

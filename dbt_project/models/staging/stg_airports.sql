with source as (

    select * from {{ source('raw', 'airports') }}

)

select
    trim(faa)                                  as faa,
    {{ na_to_null('name') }}                   as airport_name,
    {{ cast_na('lat', 'double') }}             as lat,
    {{ cast_na('lon', 'double') }}             as lon,
    {{ cast_na('alt', 'double') }}             as alt,
    {{ cast_na('tz', 'double') }}              as tz_offset_hours,
    {{ na_to_null('dst') }}                    as dst_rule,
    {{ na_to_null('tzone') }}                  as tzone,
    source_file,
    source_line,
    loaded_at
from source

with source as (

    select * from {{ source('raw', 'airlines') }}

)

select
    trim(carrier)                              as carrier,
    {{ na_to_null('name') }}                   as airline_name,
    source_file,
    source_line,
    loaded_at
from source

-- Plane attributes by tail number: reference data, valid at every time (a fixed event
-- timestamp, no TTL).

select
    tailnum,
    {{ static_timestamp() }}     as event_timestamp,
    year_built,
    seats,
    engines,
    manufacturer,
    engine_type
from {{ ref('stg_planes') }}
where tailnum is not null
qualify row_number() over (partition by tailnum order by loaded_at desc, source_line desc) = 1

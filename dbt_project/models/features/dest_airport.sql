-- Destination airport attributes by FAA code (the flight's dest): reference data, valid at every
-- time (a fixed event timestamp, no TTL).

select
    faa                          as dest,
    {{ static_timestamp() }}     as event_timestamp,
    lat,
    lon,
    alt
from {{ ref('stg_airports') }}
where faa is not null
qualify row_number() over (partition by faa order by loaded_at desc, source_line desc) = 1

-- The id to ask after so that the API serves again every classification of one stream ($files)
-- created in the $seconds before the newest landed one: one less than the smallest landed id
-- of that span.
with landed as (
    select
        classification_id,
        created_at
    from read_parquet($files)
),

newest as (
    select max(created_at) as created_at from landed
)

select coalesce(min(landed.classification_id) - 1, 0) as after_id
from landed
cross join newest
where landed.created_at >= newest.created_at - to_seconds($seconds::double)

-- The fingerprint of a successful build's inputs and the mart files it published.
create or replace table _warehouse_last_build as
select
    $fingerprint as fingerprint,
    $mart_files::varchar[] as mart_files,
    current_timestamp as built_at

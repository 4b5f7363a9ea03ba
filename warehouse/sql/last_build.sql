-- What the last successful build recorded (see record_build.sql).
select
    fingerprint,
    mart_files
from _warehouse_last_build

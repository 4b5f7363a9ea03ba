-- One row per galaxy of the schemas asked for, with its iauname, position and image from the
-- first of those schemas (in the order asked, schema_position) that has each.
create or replace temporary table zoobot_galaxies as
select
    id_str,
    arg_min(iauname, schema_position) filter (where iauname is not null) as iauname,
    arg_min(ra, schema_position) filter (where ra is not null) as ra,
    arg_min(dec, schema_position) filter (where dec is not null) as dec,
    arg_min(file_loc, schema_position) filter (where file_loc is not null) as file_loc
from zoobot_labels
group by id_str

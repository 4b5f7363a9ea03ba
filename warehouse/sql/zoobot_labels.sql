-- The training_labels rows of the schemas asked for ($schemas, a list) from the published mart
-- ($mart, its parquet file), as a temporary table the zoobot writer reads three times.
create or replace temporary table zoobot_labels as
select
    schema_name,
    id_str,
    iauname,
    ra,
    dec,
    file_loc,
    question_order,
    answer_order,
    label,
    total_label,
    votes,
    total_votes,
    list_position($schemas, schema_name) as schema_position
from read_parquet($mart)
where list_contains($schemas, schema_name)

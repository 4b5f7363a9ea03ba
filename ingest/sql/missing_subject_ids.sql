-- Subjects named by the landed classifications ($classification_files) but not in
-- landed_subject_ids.
select subject_id
from (
    select distinct unnest(classified.subject_ids) as subject_id
    from read_parquet($classification_files) as classified
    except
    select landed.subject_id
    from landed_subject_ids as landed
) as missing
order by subject_id

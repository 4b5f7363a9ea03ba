-- What the demo landed: classifications (and how many distinct), subjects, workflow versions.
select
    (select count(*) from read_parquet($classifications)) as classifications,
    (
        select count(distinct landed.classification_id)
        from read_parquet($classifications) as landed
    ) as distinct_classifications,
    (select count(*) from read_parquet($subjects)) as subjects,
    (select count(*) from read_parquet($workflow_versions)) as workflow_versions

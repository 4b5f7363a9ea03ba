-- What became of every landed annotation, per schema, outcome and reason (vote_accounting).
select
    schema_name,
    outcome,
    outcome_detail,
    sum(annotations)::bigint as annotations
from vote_accounting
group by all
order by schema_name asc, annotations desc, outcome asc, outcome_detail asc

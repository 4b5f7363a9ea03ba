-- The annotations the demo landed, by what became of them (vote_accounting), most first; an
-- unmapped outcome carries its reason.
select
    outcome,
    outcome_detail,
    sum(annotations) as annotations
from main.vote_accounting
group by outcome, outcome_detail
order by annotations desc, outcome asc, outcome_detail asc

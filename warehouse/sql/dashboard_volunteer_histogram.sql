-- Volunteers by their number of classifications, in doubling bins: 1, 2-3, 4-7, 8-15 ...
-- with the classifications they made.
with binned as (
    select
        classifications,
        floor(log2(classifications))::integer as bin
    from volunteers
    where classifications > 0
)

select
    bin,
    (2 ** bin)::bigint as fewest,
    (2 ** (bin + 1) - 1)::bigint as most,
    count(*) as volunteers,
    sum(classifications)::bigint as classifications
from binned
group by bin
order by bin

-- The zoobot table, one row per galaxy: zoobot_galaxies and a column per label (answer counts
-- and question totals; null where the galaxy's campaign did not classify it). PIVOT names the
-- columns by the labels, in its own order: the writer puts them in the order of
-- zoobot_columns. (PIVOT reads the labels from its source in a query of its own, which sees
-- tables but not this query's CTEs: its source is a subquery.)
with label_table as (
    pivot (
        select
            id_str,
            label as column_name,
            votes as column_value
        from zoobot_labels
        union all
        select
            id_str,
            total_label as column_name,
            total_votes as column_value
        from zoobot_labels
    )
    on column_name
    using any_value(column_value)
    group by id_str
)

-- the labels are the data's: their number is not known before the query runs
select * -- noqa: AM04, RF02
from zoobot_galaxies
inner join label_table using (id_str)
order by id_str

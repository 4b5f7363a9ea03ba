-- Votes of workflows that feed a schema, and those whose question the schema does not have.
select
    count(*) as votes,
    count(*) filter (where flat.question is null) as unmapped
from intermediate.flat
where flat.schema_name is not null

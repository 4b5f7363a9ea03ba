-- The schemas the published training_labels mart ($mart, its parquet file) has labels of.
select distinct schema_name
from read_parquet($mart)
order by schema_name

-- DuckDB only for now: Spark runs the models up to vote_counts (README, Spark)
{{ config(enabled=target.type not in ('spark', 'databricks')) }}
{{ catalogue_join('gz_decals_dr5') }}

-- The GZ DECaLS DR5 catalogue: one row per galaxy, a column per question and answer of the
-- seeded schema gz_decals_dr5. For another schema, copy this file as
-- <schema>_vote_fractions.sql and change the name in the call.
{{
    config(
        materialized=incremental_where_supported(),
        unique_key='subject_id',
    )
}}

{{ vote_fractions_wide('gz_decals_dr5') }}

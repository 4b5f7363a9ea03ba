-- The GZ DECaLS DR5 catalogue joined to the external catalogue (var external_catalogue).
-- A table, rebuilt whole on every run. For another schema, copy this file as
-- <schema>_catalogue.sql and change the name in the call.
{{ config(materialized='table') }}

{{ catalogue_join('gz_decals_dr5') }}

-- The GZ DECaLS DR5 catalogue joined to the external catalogue (var external_catalogue).
-- Rebuilt whole when the vote fractions, the crossmatch or the catalogue file changed, else left
-- alone. For another schema, copy this file as <schema>_catalogue.sql and change the name in
-- the call.
{{ config(materialized='table') }}

{{ catalogue_join('gz_decals_dr5') }}

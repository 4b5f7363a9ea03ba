-- The GZ DECaLS DR5 catalogue joined to the external catalogue (var external_catalogue).
-- Incremental: a run joins the subjects whose vote fractions changed, every subject when the
-- crossmatch was rebuilt (macros/catalogues/catalogue_join.sql). For another schema, copy this
-- file as <schema>_catalogue.sql and change the name in the call.

{{ catalogue_join('gz_decals_dr5') }}

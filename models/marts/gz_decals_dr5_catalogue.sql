{{ catalogue_join('gz_decals_dr5') }}

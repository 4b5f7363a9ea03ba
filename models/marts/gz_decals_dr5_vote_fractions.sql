{{ vote_fractions_wide('gz_decals_dr5') }}

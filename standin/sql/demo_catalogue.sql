-- A few galaxies of the DECaLS DR5 catalogue: the first question and the bar.
select
    iauname,
    "smooth-or-featured_total-votes" as total,
    round(ra, 4) as ra,
    round(dec, 4) as dec,
    round("smooth-or-featured_smooth_fraction", 3) as smooth,
    round("smooth-or-featured_featured-or-disk_fraction", 3) as featured,
    round("smooth-or-featured_artifact_fraction", 3) as artifact,
    round(bar_strong_fraction, 3) as bar_strong
from gz_decals_dr5_vote_fractions
order by total desc, iauname asc
limit 5

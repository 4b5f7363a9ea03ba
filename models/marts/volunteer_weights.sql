-- GZ2-style volunteer weights (Willett et al. 2013): one row per logged-in volunteer with at
-- least one counted single-choice annotation, their consistency, weight and the number of
-- annotations it is the mean over, after var `volunteer_weighting_iterations` iterations
-- (int_volunteer_weights), and the applied weight the weighted votes are summed with (the
-- weight, or within var volunteer_weight_tolerance of it). Everyone else (anonymous
-- classifications, volunteers who only answered multiple-choice questions) weighs 1. Rebuilt
-- each run from int_volunteer_weights, which holds one row per volunteer and rewrites only the
-- ones that changed.
select
    user_id,
    consistency,
    weight,
    annotations,
    applied_weight,
    _loaded_at
from {{ ref('int_volunteer_weights') }}
where annotations > 0

-- The retirement rules of the seed retirement_rules replayed over the history, one row per
-- rule: what each would have retired and saved, and how far the fractions moved after.
select
    workflow_id,
    rule_name,
    kind,
    question,
    answer,
    threshold,
    min_classifications,
    subjects,
    subjects_retired,
    classifications,
    classifications_saved,
    share_saved,
    median_fraction_change,
    p90_fraction_change,
    share_leading_answer_changed
from retirement_replay_summary
order by workflow_id, rule_name

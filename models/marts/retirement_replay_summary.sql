-- Per retirement rule: what it would have retired and saved, and what retiring cost in
-- accuracy, from retirement_replay. One row per rule of the seed retirement_rules (a rule whose
-- workflow has no counted classification has zero subjects). The fraction change is the
-- largest absolute change of any answer's vote fraction of the rule's question between
-- retirement and the end; its quantiles are exact (interpolated), over retired subjects whose
-- question was answered by the time they retired. Rebuilt whole when the replay or the rules
-- changed, else left alone (meta skip_unchanged_inputs: macros/engine/unchanged_inputs.sql).
{{
    config(
        materialized='table',
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}
with rules as (
    select * from {{ ref('retirement_rules') }}
),

replay as (
    select * from {{ ref('retirement_replay') }}
),

final as (
    select
        rules.workflow_id,
        rules.rule_name,
        rules.kind,
        rules.question,
        rules.answer,
        rules.threshold,
        rules.min_classifications,
        cast(count(replay.subject_id) as bigint) as subjects,
        cast(coalesce(sum(case when replay.retired then 1 else 0 end), 0) as bigint)
            as subjects_retired,
        cast(coalesce(sum(replay.classifications), 0) as bigint) as classifications,
        cast(coalesce(sum(replay.classifications_after_retirement), 0) as bigint)
            as classifications_saved,
        cast(sum(replay.classifications_after_retirement) as double)
        / nullif(sum(replay.classifications), 0) as share_saved,
        {{ exact_quantile(
            'case when replay.retired then cast(replay.fraction_change as double) end', 0.5
        ) }} as median_fraction_change,
        {{ exact_quantile(
            'case when replay.retired then cast(replay.fraction_change as double) end', 0.9
        ) }} as p90_fraction_change,
        cast(avg(case
            when replay.retired and replay.leading_answer_at_retirement is not null
                then
                    case
                        when replay.leading_answer_at_retirement = replay.leading_answer_at_end
                            then 0
                        else 1
                    end
        end) as double) as share_leading_answer_changed,
        {{ run_started_timestamp() }} as _loaded_at
    from rules
    left join replay
        on rules.workflow_id = replay.workflow_id and rules.rule_name = replay.rule_name
    group by
        rules.workflow_id,
        rules.rule_name,
        rules.kind,
        rules.question,
        rules.answer,
        rules.threshold,
        rules.min_classifications
)

select * from final

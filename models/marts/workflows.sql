-- One row per workflow of the landing: its project's name and slug, its name, latest landed
-- version, active flag and retirement rule, how many subjects and classifications have landed
-- for it, and how many of those subjects are retired. Retirement is Panoptes' own where its
-- subject workflow statuses of the workflow have landed ('panoptes': subjects with a
-- retired_at); else, where a classification_count rule has landed, the subjects whose landed
-- classifications of the workflow reach its count ('rule'); else unknown (null). Never a
-- guessed count. One row per workflow, rebuilt whenever a file of its landings has landed since
-- the last build, and left alone otherwise (meta skip_unchanged_inputs:
-- macros/engine/unchanged_inputs.sql); the classifications are counted per subject apart
-- (int_workflow_subject_classifications), only when classifications landed.
{{
    config(
        materialized='table',
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

with workflow_snapshots as (
    select * from {{ ref('stg_panoptes__workflows') }}
),

projects as (
    select * from {{ ref('stg_panoptes__projects') }}
),

subject_classifications as (
    select * from {{ ref('int_workflow_subject_classifications') }}
),

statuses as (
    select * from {{ ref('stg_panoptes__subject_workflow_statuses') }}
),

-- workflows with landed classifications (also those whose own record never landed)
classified_workflows as (
    select
        workflow_id,
        max(project_id) as project_id
    from subject_classifications
    group by workflow_id
),

workflow_ids as (
    select workflow_id from workflow_snapshots
    union
    select workflow_id from classified_workflows
),

rules as (
    select
        workflow_ids.workflow_id,
        workflow_snapshots.workflow_name,
        workflow_snapshots.workflow_version,
        workflow_snapshots.active,
        workflow_snapshots.retirement_criteria,
        coalesce(workflow_snapshots.project_id, classified_workflows.project_id) as project_id,
        case
            when workflow_snapshots.retirement_criteria = 'classification_count'
                then workflow_snapshots.retirement_option_count
        end as retirement_count
    from workflow_ids
    left join workflow_snapshots on workflow_ids.workflow_id = workflow_snapshots.workflow_id
    left join classified_workflows
        on workflow_ids.workflow_id = classified_workflows.workflow_id
),

landed_counts as (
    select
        subject_classifications.workflow_id,
        cast(count(*) as bigint) as subjects,
        cast(sum(subject_classifications.classifications) as bigint) as classifications,
        cast(sum(case
            when subject_classifications.classifications >= rules.retirement_count then 1
            else 0
        end) as bigint) as subjects_reaching_rule
    from subject_classifications
    inner join rules on subject_classifications.workflow_id = rules.workflow_id
    group by subject_classifications.workflow_id
),

panoptes_retirements as (
    select
        workflow_id,
        cast(sum(case when retired_at is not null then 1 else 0 end) as bigint) as retired_subjects
    from statuses
    group by workflow_id
),

final as (
    select
        rules.project_id,
        projects.project_name,
        projects.project_slug,
        rules.workflow_id,
        rules.workflow_name,
        rules.workflow_version,
        rules.active,
        rules.retirement_criteria,
        rules.retirement_count,
        coalesce(landed_counts.subjects, 0) as subjects,
        coalesce(landed_counts.classifications, 0) as classifications,
        case
            when panoptes_retirements.workflow_id is not null
                then panoptes_retirements.retired_subjects
            when rules.retirement_count is not null
                then coalesce(landed_counts.subjects_reaching_rule, 0)
        end as retired_subjects,
        case
            when panoptes_retirements.workflow_id is not null then 'panoptes'
            when rules.retirement_count is not null then 'rule'
        end as retirement_source,
        {{ run_started_timestamp() }} as _loaded_at
    from rules
    left join projects on rules.project_id = projects.project_id
    left join landed_counts on rules.workflow_id = landed_counts.workflow_id
    left join panoptes_retirements on rules.workflow_id = panoptes_retirements.workflow_id
)

select * from final

-- Training-ready labels in the zoobot / galaxy-datasets convention, long: one row per schema,
-- galaxy (id_str), question and answer, with the wide column the row becomes
-- (`{question}{suffix}_{answer}`, the suffix from the seed schema_campaigns) and its integer
-- vote count. id_str is the subject's iauname, else its subject_id as text; the votes of a
-- schema's subjects sharing an id_str (one galaxy uploaded twice) are summed. Answers nobody
-- gave count 0, never null (zoobot's Dirichlet-multinomial loss reads counts).
-- Rebuilt whole when its inputs changed: a subject's id_str changes when its record lands or
-- names another iauname, which moves its votes from one galaxy's rows to another's and can
-- leave a galaxy with no subject at all; replacing rows by key cannot remove a galaxy that no
-- run writes, so a finer increment would have to keep each subject's previous id_str. The
-- rebuild is one grouping of vote_counts, and it also follows a changed campaign suffix. A
-- run that finds vote_counts, subjects and the seed as the last build left them leaves the
-- table as it is (meta skip_unchanged_inputs: macros/engine/unchanged_inputs.sql), and the
-- mart is not published again: _loaded_at says when it was last rebuilt.
{{
    config(
        materialized='table',
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

with vote_counts as {{ not_materialized() }} (
    select * from {{ ref('vote_counts') }}
),

subjects as (
    select * from {{ ref('subjects') }}
),

campaigns as (
    select * from {{ ref('schema_campaigns') }}
),

schema_subjects as (
    select distinct
        schema_name,
        subject_id
    from vote_counts
),

counted_subjects as (
    select
        schema_subjects.schema_name,
        schema_subjects.subject_id,
        subjects.ra,
        subjects.dec,
        subjects.image_url,
        nullif(trim(subjects.iauname), '') as iauname
    from schema_subjects
    left join subjects on schema_subjects.subject_id = subjects.subject_id
),

keyed_subjects as (
    select
        schema_name,
        subject_id,
        iauname,
        ra,
        dec,
        image_url,
        coalesce(iauname, cast(subject_id as {{ dbt.type_string() }})) as id_str
    from counted_subjects
),

-- one galaxy's position and image: those of its lowest subject id that has them
galaxies as (
    select
        schema_name,
        id_str,
        cast(count(*) as bigint) as subjects,
        max(iauname) as iauname,
        {{ value_at_min('ra', ['case when ra is null then 1 else 0 end', 'subject_id']) }} as ra,
        {{ value_at_min('dec', ['case when dec is null then 1 else 0 end', 'subject_id']) }}
            as dec,
        {{ value_at_min('image_url', ['case when image_url is null then 1 else 0 end', 'subject_id']) }}
            as file_loc
    from keyed_subjects
    group by schema_name, id_str
),

galaxy_votes as (
    select
        keyed_subjects.schema_name,
        keyed_subjects.id_str,
        vote_counts.question,
        vote_counts.answer,
        vote_counts.question_order,
        vote_counts.answer_order,
        cast(coalesce(sum(vote_counts.votes), 0) as bigint) as votes,
        cast(coalesce(sum(vote_counts.total_votes), 0) as bigint) as total_votes,
        concat(
            vote_counts.question, coalesce(campaigns.campaign_suffix, ''), '_', vote_counts.answer
        ) as label,
        concat(vote_counts.question, coalesce(campaigns.campaign_suffix, ''), '_total-votes')
            as total_label
    from vote_counts
    inner join keyed_subjects
        on
            vote_counts.schema_name = keyed_subjects.schema_name
            and vote_counts.subject_id = keyed_subjects.subject_id
    left join campaigns on vote_counts.schema_name = campaigns.schema_name
    group by
        keyed_subjects.schema_name,
        keyed_subjects.id_str,
        vote_counts.question,
        vote_counts.answer,
        vote_counts.question_order,
        vote_counts.answer_order,
        campaigns.campaign_suffix
),

final as (
    select
        galaxy_votes.schema_name,
        galaxy_votes.id_str,
        galaxies.iauname,
        galaxies.ra,
        galaxies.dec,
        galaxies.file_loc,
        galaxies.subjects,
        galaxy_votes.question,
        galaxy_votes.answer,
        galaxy_votes.label,
        galaxy_votes.total_label,
        galaxy_votes.votes,
        galaxy_votes.total_votes,
        galaxy_votes.question_order,
        galaxy_votes.answer_order,
        {{ run_started_timestamp() }} as _loaded_at
    from galaxy_votes
    inner join galaxies
        on
            galaxy_votes.schema_name = galaxies.schema_name
            and galaxy_votes.id_str = galaxies.id_str
)

select * from final

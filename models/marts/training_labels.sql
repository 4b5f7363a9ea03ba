-- Training-ready labels in the zoobot / galaxy-datasets convention, long: one row per schema,
-- galaxy (id_str), question and answer, with the wide column the row becomes
-- (`{question}{suffix}_{answer}`, the suffix from the seed schema_campaigns) and its integer
-- vote count. id_str is the subject's iauname, else its subject_id as text; the votes of a
-- schema's subjects sharing an id_str (one galaxy uploaded twice) are summed. Answers nobody
-- gave count 0, never null (zoobot's Dirichlet-multinomial loss reads counts).
-- Incremental (delete+insert on schema_name, id_str): a run recomputes, from all their
-- subjects, the galaxies that
--   - a subject whose votes were recounted (int_answer_votes: not a subject whose weighted
--     votes alone moved, which these labels do not hold) or whose subject record is new now
--     belongs to;
--   - hold a number of subjects other than the one stored (a subject whose record landed late
--     or changed iauname left them, or its schema no longer counts it): with none left, the
--     galaxy's rows are deleted (the model writes one row with a null question for it, which
--     replaces its rows and which the post-hook drop_emptied_keys deletes);
--   - belong to a schema whose campaign suffix changed.
-- Rows are written in (schema_name, id_str) order, which makes the published parquet file a
-- twentieth of its size in the order vote_counts gives. A run that finds vote_counts, subjects
-- and the seed as the last build left them does nothing (meta skip_unchanged_inputs:
-- macros/engine/unchanged_inputs.sql).
-- depends_on: {{ ref('int_answer_votes') }}
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=incremental_key(
            ['schema_name', 'id_str'], ['schema_name', 'id_str', 'question', 'answer']
        ),
        post_hook=["{{ drop_emptied_keys('question') }}", "{{ remember_inputs() }}"],
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

{% if is_incremental() %}
    stored_galaxies as (
        select distinct
            schema_name,
            id_str,
            subjects
        from {{ this }}
    ),

    current_galaxies as (
        select
            schema_name,
            id_str,
            count(*) as subjects
        from keyed_subjects
        group by schema_name, id_str
    ),

    stored_suffixes as (
        select distinct
            schema_name,
            question,
            total_label
        from {{ this }}
    ),

    resuffixed_schemas as (
        select distinct stored_suffixes.schema_name
        from stored_suffixes
        left join campaigns on stored_suffixes.schema_name = campaigns.schema_name
        where
            stored_suffixes.total_label != concat(
                stored_suffixes.question, coalesce(campaigns.campaign_suffix, ''), '_total-votes'
            )
    ),

    recounted_votes as {{ not_materialized() }} (
        select * from {{ ref('int_answer_votes') }}
    ),

    -- apart, not an OR: each mark is a constant a scan prunes row groups by
    changed_galaxies as {{ materialized_cte() }} (
        select
            keyed_subjects.schema_name,
            keyed_subjects.id_str
        from keyed_subjects
        {{ semi_join() }} (
            select
                recounted_votes.schema_name,
                recounted_votes.subject_id
            from recounted_votes
            where recounted_votes._loaded_at > {{ high_water_mark('_loaded_at') }}
        ) as recounted using (schema_name, subject_id)
        union
        select
            keyed_subjects.schema_name,
            keyed_subjects.id_str
        from keyed_subjects
        {{ semi_join() }} (
            select subjects.subject_id
            from subjects
            where subjects._loaded_at > {{ high_water_mark('_loaded_at') }}
        ) as described using (subject_id)
        union
        select
            coalesce(stored_galaxies.schema_name, current_galaxies.schema_name) as schema_name,
            coalesce(stored_galaxies.id_str, current_galaxies.id_str) as id_str
        from stored_galaxies
        full outer join current_galaxies
            on
                stored_galaxies.schema_name = current_galaxies.schema_name
                and stored_galaxies.id_str = current_galaxies.id_str
        where
            stored_galaxies.subjects is null
            or current_galaxies.subjects is null
            or stored_galaxies.subjects != current_galaxies.subjects
        union
        select
            stored_galaxies.schema_name,
            stored_galaxies.id_str
        from stored_galaxies
        {{ semi_join() }} resuffixed_schemas using (schema_name)
    ),

    recomputed_subjects as (
        select keyed_subjects.*
        from keyed_subjects
        {{ semi_join() }} changed_galaxies using (schema_name, id_str)
    ),
{% else %}
    recomputed_subjects as (
        select * from keyed_subjects
    ),
{% endif %}

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
    from recomputed_subjects
    group by schema_name, id_str
),

galaxy_votes as (
    select
        recomputed_subjects.schema_name,
        recomputed_subjects.id_str,
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
    inner join recomputed_subjects
        on
            vote_counts.schema_name = recomputed_subjects.schema_name
            and vote_counts.subject_id = recomputed_subjects.subject_id
    left join campaigns on vote_counts.schema_name = campaigns.schema_name
    group by
        recomputed_subjects.schema_name,
        recomputed_subjects.id_str,
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
    {%- if is_incremental() %}
        -- a galaxy left with no subject: one row that replaces its rows, deleted after
        union all
        select
            emptied.schema_name,
            emptied.id_str,
            {%- for column in [
                'iauname', 'ra', 'dec', 'file_loc', 'subjects', 'question', 'answer', 'label',
                'total_label', 'votes', 'total_votes', 'question_order', 'answer_order',
            ] %}
            null as {{ column }},
            {%- endfor %}
            {{ run_started_timestamp() }} as _loaded_at
        from changed_galaxies as emptied
        {{ anti_join() }} current_galaxies using (schema_name, id_str)
    {%- endif %}
)

select * from final
order by schema_name, id_str, question_order, answer_order

-- Subject rows from the subject_data column of a Lab classifications export (view
-- export_csv): {subject id: metadata} per classification, less Panoptes' retirement entry.
with entries as (
    select
        unnest(
            map_entries(try_cast(subject_data::json as map (varchar, json)))
        ) as entry
    from export_csv
    where json_valid(subject_data)
)

select
    entry.key as subject_id_text,
    null::bigint as project_id,
    null::varchar as locations,
    null::timestamp as created_at,
    null::timestamp as updated_at,
    parsed_id(entry.key) as subject_id,
    to_json(map_from_entries(list_filter(
        map_entries(try_cast(entry.value as map (varchar, json))),
        lambda field: field.key <> 'retired'
    )))::varchar as metadata,
    to_json(struct_pack(subject_data := entry.value))::varchar as raw
from entries

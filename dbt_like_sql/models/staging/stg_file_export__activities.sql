-- File export activities (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'activities'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'activity_id') as activity_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_text(payload ->> 'activity_type') as activity_type,
        safe_timestamp(payload ->> 'occurred_at') as occurred_at,
        safe_text(payload ->> 'initiated_by') as initiated_by,
        safe_text(payload ->> 'owner_id') as owner_id
    from source
)

select * from renamed

-- File export opportunity_partners (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'opportunity_partners'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'opportunity_id') as opportunity_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_text(payload ->> 'role') as role,
        safe_date(payload ->> 'added_on') as added_on
    from source
)

select * from renamed

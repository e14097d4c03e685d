-- File export partner_agreements (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'partner_agreements'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'agreement_id') as agreement_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_date(payload ->> 'start_on') as start_on,
        safe_date(payload ->> 'end_on') as end_on,
        safe_date(payload ->> 'renewed_on') as renewed_on
    from source
)

select * from renamed

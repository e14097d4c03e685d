-- File export partner_surveys (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'partner_surveys'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'response_id') as response_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_date(payload ->> 'sent_on') as sent_on,
        safe_date(payload ->> 'responded_on') as responded_on,
        safe_integer(payload ->> 'nps_score') as nps_score
    from source
)

select * from renamed

-- File export mdf_requests (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'mdf_requests'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'request_id') as request_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_text(payload ->> 'campaign_id') as campaign_id,
        safe_date(payload ->> 'submitted_on') as submitted_on,
        safe_date(payload ->> 'decided_on') as decided_on,
        safe_text(payload ->> 'status') as status,
        safe_number(payload ->> 'amount') as amount,
        safe_text(payload ->> 'currency') as currency
    from source
)

select * from renamed

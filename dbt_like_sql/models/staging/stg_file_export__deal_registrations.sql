-- File export deal_registrations (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'deal_registrations'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'registration_id') as registration_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_timestamp(payload ->> 'submitted_at') as submitted_at,
        safe_timestamp(payload ->> 'decided_at') as decided_at,
        safe_text(payload ->> 'status') as status,
        safe_text(payload ->> 'conflict') as conflict,
        safe_timestamp(payload ->> 'conflict_resolved_at') as conflict_resolved_at,
        safe_text(payload ->> 'opportunity_id') as opportunity_id,
        safe_number(payload ->> 'estimated_amount') as estimated_amount,
        safe_text(payload ->> 'currency') as currency
    from source
)

select * from renamed

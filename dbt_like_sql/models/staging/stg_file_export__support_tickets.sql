-- File export support_tickets (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'support_tickets'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'ticket_id') as ticket_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_timestamp(payload ->> 'opened_at') as opened_at,
        safe_timestamp(payload ->> 'resolved_at') as resolved_at,
        safe_text(payload ->> 'priority') as priority,
        safe_text(payload ->> 'category') as category
    from source
)

select * from renamed

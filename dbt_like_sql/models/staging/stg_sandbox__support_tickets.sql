-- Sandbox support_tickets: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'support_tickets'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'ticket_id' as text) as ticket_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'opened_at' as timestamp) as opened_at,
        cast(payload ->> 'resolved_at' as timestamp) as resolved_at,
        cast(payload ->> 'priority' as text) as priority,
        cast(payload ->> 'category' as text) as category
    from source
)

select * from renamed

-- Sandbox deal_registrations: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'deal_registrations'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'registration_id' as text) as registration_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'submitted_at' as timestamp) as submitted_at,
        cast(payload ->> 'decided_at' as timestamp) as decided_at,
        cast(payload ->> 'status' as text) as status,
        cast(payload ->> 'conflict' as text) as conflict,
        cast(payload ->> 'conflict_resolved_at' as timestamp) as conflict_resolved_at,
        cast(payload ->> 'opportunity_id' as text) as opportunity_id,
        cast(payload ->> 'estimated_amount' as double precision) as estimated_amount,
        cast(payload ->> 'currency' as text) as currency
    from source
)

select * from renamed

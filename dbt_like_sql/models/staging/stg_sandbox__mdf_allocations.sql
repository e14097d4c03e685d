-- Sandbox mdf_allocations: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'mdf_allocations'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'allocation_id' as text) as allocation_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'period_start' as date) as period_start,
        cast(payload ->> 'period_end' as date) as period_end,
        cast(payload ->> 'amount' as double precision) as amount,
        cast(payload ->> 'currency' as text) as currency
    from source
)

select * from renamed

-- Sandbox joint_business_plans: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'joint_business_plans'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'plan_id' as text) as plan_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'start_on' as date) as start_on,
        cast(payload ->> 'end_on' as date) as end_on,
        cast(payload ->> 'status' as text) as status,
        cast(payload ->> 'target_revenue' as double precision) as target_revenue,
        cast(payload ->> 'currency' as text) as currency
    from source
)

select * from renamed

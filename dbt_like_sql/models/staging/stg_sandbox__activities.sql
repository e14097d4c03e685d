-- Sandbox activities: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'activities'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'activity_id' as text) as activity_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'activity_type' as text) as activity_type,
        cast(payload ->> 'occurred_at' as timestamp) as occurred_at,
        cast(payload ->> 'initiated_by' as text) as initiated_by,
        cast(payload ->> 'owner_id' as text) as owner_id
    from source
)

select * from renamed

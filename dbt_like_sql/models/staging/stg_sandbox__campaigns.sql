-- Sandbox campaigns: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'campaigns'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'campaign_id' as text) as campaign_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'campaign_type' as text) as campaign_type,
        cast(payload ->> 'is_joint' as boolean) as is_joint,
        cast(payload ->> 'start_on' as date) as start_on,
        cast(payload ->> 'end_on' as date) as end_on
    from source
)

select * from renamed

-- Sandbox partners: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'partners'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'name' as text) as name,
        cast(payload ->> 'domain' as text) as domain,
        cast(payload ->> 'partner_type' as text) as partner_type,
        cast(payload ->> 'tier' as text) as tier,
        cast(payload ->> 'region' as text) as region,
        cast(payload ->> 'country' as text) as country,
        cast(payload ->> 'onboarded_on' as date) as onboarded_on,
        cast(payload ->> 'churned_on' as date) as churned_on,
        cast(payload ->> 'owner_id' as text) as owner_id,
        cast(payload ->> 'exec_sponsor_id' as text) as exec_sponsor_id
    from source
)

select * from renamed

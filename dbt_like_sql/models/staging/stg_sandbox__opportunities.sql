-- Sandbox opportunities: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'opportunities'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'opportunity_id' as text) as opportunity_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'attribution' as text) as attribution,
        cast(payload ->> 'created_on' as date) as created_on,
        cast(payload ->> 'closed_on' as date) as closed_on,
        cast(payload ->> 'status' as text) as status,
        cast(payload ->> 'amount' as double precision) as amount,
        cast(payload ->> 'currency' as text) as currency,
        cast(payload ->> 'segment' as text) as segment,
        cast(payload ->> 'region' as text) as region,
        cast(payload ->> 'customer_id' as text) as customer_id,
        cast(payload ->> 'is_new_logo' as boolean) as is_new_logo,
        cast(payload ->> 'campaign_id' as text) as campaign_id,
        cast(payload ->> 'registration_id' as text) as registration_id,
        cast(payload ->> 'expected_close_on' as date) as expected_close_on
    from source
)

select * from renamed

-- Sandbox mdf_requests: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'mdf_requests'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'request_id' as text) as request_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'campaign_id' as text) as campaign_id,
        cast(payload ->> 'submitted_on' as date) as submitted_on,
        cast(payload ->> 'decided_on' as date) as decided_on,
        cast(payload ->> 'status' as text) as status,
        cast(payload ->> 'amount' as double precision) as amount,
        cast(payload ->> 'currency' as text) as currency
    from source
)

select * from renamed

-- Sandbox mdf_claims: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'mdf_claims'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'claim_id' as text) as claim_id,
        cast(payload ->> 'request_id' as text) as request_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'submitted_on' as date) as submitted_on,
        cast(payload ->> 'paid_on' as date) as paid_on,
        cast(payload ->> 'status' as text) as status,
        cast(payload ->> 'amount' as double precision) as amount,
        cast(payload ->> 'currency' as text) as currency
    from source
)

select * from renamed

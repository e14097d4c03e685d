-- Sandbox partner_agreements: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'partner_agreements'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'agreement_id' as text) as agreement_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'start_on' as date) as start_on,
        cast(payload ->> 'end_on' as date) as end_on,
        cast(payload ->> 'renewed_on' as date) as renewed_on
    from source
)

select * from renamed

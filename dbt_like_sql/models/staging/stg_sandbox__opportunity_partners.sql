-- Sandbox opportunity_partners: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'opportunity_partners'
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
        cast(payload ->> 'role' as text) as role,
        cast(payload ->> 'added_on' as date) as added_on
    from source
)

select * from renamed

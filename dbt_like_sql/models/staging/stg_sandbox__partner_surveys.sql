-- Sandbox partner_surveys: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'partner_surveys'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'response_id' as text) as response_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'sent_on' as date) as sent_on,
        cast(payload ->> 'responded_on' as date) as responded_on,
        cast(payload ->> 'nps_score' as integer) as nps_score
    from source
)

select * from renamed

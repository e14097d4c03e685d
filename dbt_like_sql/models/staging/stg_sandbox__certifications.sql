-- Sandbox certifications: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'certifications'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'certification_id' as text) as certification_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'person_id' as text) as person_id,
        cast(payload ->> 'certification_name' as text) as certification_name,
        cast(payload ->> 'earned_on' as date) as earned_on,
        cast(payload ->> 'expires_on' as date) as expires_on
    from source
)

select * from renamed

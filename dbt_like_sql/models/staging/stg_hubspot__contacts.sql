-- HubSpot contacts.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_hubspot where stream = 'contacts'
),

renamed as (
    select
        org_id,
        'hubspot' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'id') as contact_id,
        safe_text(payload -> 'properties' ->> 'email') as email,
        safe_text(payload -> 'properties' ->> 'associatedcompanyid') as company_id,
        safe_date(substr(payload -> 'properties' ->> 'createdate', 1, 10)) as created_on
    from source
)

select * from renamed

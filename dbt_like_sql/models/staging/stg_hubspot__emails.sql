-- HubSpot emails (engagements) with partner companies as activities.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_hubspot where stream = 'emails'
),

renamed as (
    select
        org_id,
        'hubspot' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'id') as activity_id,
        safe_text(payload -> 'properties' ->> 'partner_company_id') as partner_id,
        replace(lower(safe_text(payload -> 'properties' ->> 'hs_activity_type')), ' ', '_') as activity_type,
        safe_timestamp(payload -> 'properties' ->> 'hs_timestamp') as occurred_at,
        safe_text(payload -> 'properties' ->> 'initiated_by') as initiated_by,
        safe_text(payload -> 'properties' ->> 'hubspot_owner_id') as owner_id
    from source
)

select * from renamed

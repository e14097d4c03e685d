-- HubSpot partner companies (the configured partner property is true). The cross-system key is the configured
-- partner-key property, which the connector copies to _apex.partner_key (versions landed before: the partner_key property).
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_hubspot where stream = 'companies'
),

renamed as (
    select
        org_id,
        'hubspot' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'id') as partner_id,
        safe_text(coalesce(payload -> '_apex' ->> 'partner_key', payload -> 'properties' ->> 'partner_key')) as match_key,
        safe_text(payload -> 'properties' ->> 'name') as name,
        safe_text(payload -> 'properties' ->> 'domain') as domain,
        safe_text(payload -> 'properties' ->> 'partner_type') as partner_type,
        safe_text(payload -> 'properties' ->> 'partner_tier') as tier,
        safe_text(payload -> 'properties' ->> 'region') as region,
        safe_text(payload -> 'properties' ->> 'country') as country,
        safe_date(payload -> 'properties' ->> 'partner_onboarded_on') as onboarded_on,
        safe_date(payload -> 'properties' ->> 'partner_churned_on') as churned_on,
        safe_text(payload -> 'properties' ->> 'hubspot_owner_id') as owner_id,
        safe_text(payload -> 'properties' ->> 'executive_sponsor_owner_id') as exec_sponsor_id
    from source
)

select * from renamed

-- Impartner partner accounts; partnerKey__cf is the cross-system key (a custom field of the demo portal).
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_impartner where stream = 'Account'
),

renamed as (
    select
        org_id,
        'impartner' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'id') as partner_id,
        safe_text(payload ->> 'partnerKey__cf') as match_key,
        safe_text(payload ->> 'name') as name,
        safe_text(payload ->> 'website') as domain,
        safe_text(payload ->> 'partnerType__cf') as partner_type,
        replace(lower(safe_text(payload ->> 'tier__cf')), ' ', '_') as tier,
        safe_text(payload ->> 'region__cf') as region,
        safe_text(payload ->> 'mailingCountry') as country,
        safe_date(payload ->> 'partnerSince__cf') as onboarded_on,
        safe_date(payload ->> 'churnedOn__cf') as churned_on,
        safe_text(payload ->> 'accountManager__cf') as owner_id,
        safe_text(payload ->> 'executiveSponsor__cf') as exec_sponsor_id
    from source
)

select * from renamed

-- PartnerStack partnerships: partner_key is the partner id other objects use and the cross-system key; the group is the tier.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_partnerstack where stream = 'partnerships'
),

renamed as (
    select
        org_id,
        'partnerstack' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'partner_key') as partner_id,
        safe_text(payload ->> 'partner_key') as match_key,
        safe_text(payload -> 'team' ->> 'name') as name,
        safe_text(payload -> 'm_data' ->> 'website') as domain,
        safe_text(payload -> 'm_data' ->> 'partner_type') as partner_type,
        lower(safe_text(payload -> 'group' ->> 'name')) as tier,
        safe_text(payload -> 'm_data' ->> 'region') as region,
        safe_text(payload -> 'm_data' ->> 'country') as country,
        safe_epoch_ms_date(payload ->> 'joined_at') as onboarded_on,
        safe_date(payload -> 'm_data' ->> 'churned_on') as churned_on,
        safe_text(payload -> 'manager' ->> 'email') as owner_id,
        cast(null as text) as exec_sponsor_id
    from source
)

select * from renamed

-- PartnerStack groups (tiers).
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_partnerstack where stream = 'groups'
),

renamed as (
    select
        org_id,
        'partnerstack' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'key') as group_id,
        safe_text(payload ->> 'name') as name,
        safe_text(payload ->> 'slug') as slug
    from source
)

select * from renamed

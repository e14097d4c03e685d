-- Impartner tiers.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_impartner where stream = 'Tier'
),

renamed as (
    select
        org_id,
        'impartner' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'id') as tier_id,
        replace(lower(safe_text(payload ->> 'name')), ' ', '_') as tier,
        safe_integer(payload ->> 'rank') as rank
    from source
)

select * from renamed

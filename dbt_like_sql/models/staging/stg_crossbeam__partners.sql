-- Crossbeam partner organisations: matched to the organisation's partners by domain, then name.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_crossbeam where stream = 'partners'
),

renamed as (
    select
        org_id,
        'crossbeam' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'uuid') as partner_id,
        cast(null as text) as match_key,
        safe_text(payload ->> 'name') as name,
        safe_text(payload ->> 'domain') as domain
    from source
)

select * from renamed

-- Crossbeam account overlaps: one of your accounts that a partner also has (deleted overlaps kept as versions).
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_crossbeam where stream = 'overlaps'
),

renamed as (
    select
        org_id,
        'crossbeam' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'record_id') as record_id,
        safe_text(payload ->> 'crossbeam_record_id') as crossbeam_record_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_text(payload ->> 'partner_record_id') as partner_record_id,
        safe_text(payload ->> 'partner_crossbeam_record_id') as partner_crossbeam_record_id
    from source
)

select * from renamed

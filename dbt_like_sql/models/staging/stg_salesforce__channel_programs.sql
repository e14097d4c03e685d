-- Salesforce Channel Management programmes.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'ChannelProgram'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as program_id,
        safe_text(payload ->> 'Name') as name,
        safe_boolean(payload ->> 'IsActive') as is_active
    from source
)

select * from renamed

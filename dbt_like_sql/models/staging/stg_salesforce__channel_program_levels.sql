-- Salesforce Channel Management levels (tiers).
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'ChannelProgramLevel'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as level_id,
        safe_text(payload ->> 'ProgramId') as program_id,
        replace(lower(safe_text(payload ->> 'Name')), ' ', '_') as tier,
        safe_integer(payload ->> 'Rank') as rank
    from source
)

select * from renamed

-- Salesforce Channel Management memberships: a partner account in a programme at a level.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'ChannelProgramMember'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as member_id,
        safe_text(payload ->> 'ProgramId') as program_id,
        safe_text(payload ->> 'PartnerId') as partner_id,
        safe_text(payload ->> 'LevelId') as level_id
    from source
)

select * from renamed

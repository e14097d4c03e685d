-- PartnerStack leads (amount in cents).
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_partnerstack where stream = 'leads'
),

renamed as (
    select
        org_id,
        'partnerstack' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'key') as lead_id,
        safe_text(payload ->> 'partner_key') as partner_id,
        safe_text(payload ->> 'status') as status,
        safe_number(payload ->> 'amount') as amount,
        safe_epoch_ms(payload ->> 'created_at') as created_at
    from source
)

select * from renamed

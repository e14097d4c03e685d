-- PartnerStack customers referred by partners.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_partnerstack where stream = 'customers'
),

renamed as (
    select
        org_id,
        'partnerstack' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'customer_key') as customer_key,
        safe_text(payload ->> 'partner_key') as partner_id,
        safe_epoch_ms(payload ->> 'created_at') as created_at
    from source
)

select * from renamed

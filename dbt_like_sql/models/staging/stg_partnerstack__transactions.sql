-- PartnerStack transactions (amount in cents of currency).
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_partnerstack where stream = 'transactions'
),

renamed as (
    select
        org_id,
        'partnerstack' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'key') as transaction_id,
        safe_text(payload ->> 'partnership_key') as partnership_key,
        safe_text(payload ->> 'customer_key') as customer_key,
        safe_number(payload ->> 'amount') as amount,
        safe_text(payload ->> 'currency') as currency,
        safe_epoch_ms(payload ->> 'created_at') as created_at
    from source
)

select * from renamed

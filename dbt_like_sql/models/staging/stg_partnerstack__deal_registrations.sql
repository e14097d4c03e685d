-- PartnerStack deals (partner deal registrations); decisions and conflicts come from the deal's meta.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_partnerstack where stream = 'deals'
),

renamed as (
    select
        org_id,
        'partnerstack' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'key') as registration_id,
        safe_text(payload ->> 'partner_key') as partner_id,
        safe_epoch_ms(payload ->> 'created_at') as submitted_at,
        safe_epoch_ms(payload -> 'meta' ->> 'decided_at') as decided_at,
        safe_text(payload ->> 'stage') as status,
        safe_text(payload -> 'meta' ->> 'conflict') as conflict,
        safe_epoch_ms(payload -> 'meta' ->> 'conflict_resolved_at') as conflict_resolved_at,
        safe_text(payload ->> 'external_key') as opportunity_id,
        safe_number(payload ->> 'amount') as estimated_amount,
        safe_text(payload -> 'meta' ->> 'currency') as currency
    from source
)

select * from renamed

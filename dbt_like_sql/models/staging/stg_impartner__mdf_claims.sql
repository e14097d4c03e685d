-- Impartner MDF claim engagements.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_impartner where stream = 'MDFClaimEngagement'
),

renamed as (
    select
        org_id,
        'impartner' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'id') as claim_id,
        safe_text(payload ->> 'requestId') as request_id,
        safe_text(payload ->> 'accountId') as partner_id,
        safe_date(payload ->> 'submittedDate') as submitted_on,
        safe_date(payload ->> 'paidDate') as paid_on,
        replace(lower(safe_text(payload ->> 'status')), ' ', '_') as status,
        safe_number(payload ->> 'claimAmount') as amount,
        safe_text(payload ->> 'currencyCode') as currency
    from source
)

select * from renamed

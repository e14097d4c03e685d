-- Impartner MDF request engagements.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_impartner where stream = 'MDFRequestEngagement'
),

renamed as (
    select
        org_id,
        'impartner' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'id') as request_id,
        safe_text(payload ->> 'accountId') as partner_id,
        safe_text(payload ->> 'campaignKey__cf') as campaign_id,
        safe_date(payload ->> 'submittedDate') as submitted_on,
        safe_date(payload ->> 'decisionDate') as decided_on,
        replace(lower(safe_text(payload ->> 'status')), ' ', '_') as status,
        safe_number(payload ->> 'requestedAmount') as amount,
        safe_text(payload ->> 'currencyCode') as currency
    from source
)

select * from renamed

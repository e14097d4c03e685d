-- Salesforce MDF fund claims (PartnerFundClaim).
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'PartnerFundClaim'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as claim_id,
        safe_text(payload ->> 'RequestId') as request_id,
        safe_text(payload ->> 'ChannelPartnerId') as partner_id,
        safe_date(payload ->> 'Submitted_On__c') as submitted_on,
        safe_date(payload ->> 'Paid_On__c') as paid_on,
        replace(lower(safe_text(payload ->> 'Status')), ' ', '_') as status,
        safe_number(payload ->> 'Amount') as amount,
        safe_text(payload ->> 'CurrencyIsoCode') as currency
    from source
)

select * from renamed

-- Salesforce MDF fund requests (PartnerFundRequest); RequestedAmount is the amount asked for.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'PartnerFundRequest'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as request_id,
        safe_text(payload ->> 'ChannelPartnerId') as partner_id,
        safe_text(payload ->> 'CampaignId') as campaign_id,
        safe_date(payload ->> 'Submitted_On__c') as submitted_on,
        safe_date(payload ->> 'Decided_On__c') as decided_on,
        replace(lower(safe_text(payload ->> 'Status')), ' ', '_') as status,
        safe_number(payload ->> 'RequestedAmount') as amount,
        safe_text(payload ->> 'CurrencyIsoCode') as currency
    from source
)

select * from renamed

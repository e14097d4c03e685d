-- Salesforce MDF fund allocations (PartnerFundAllocation).
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'PartnerFundAllocation'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as allocation_id,
        safe_text(payload ->> 'ChannelPartnerId') as partner_id,
        safe_date(payload ->> 'Period_Start__c') as period_start,
        safe_date(payload ->> 'Period_End__c') as period_end,
        safe_number(payload ->> 'Amount') as amount,
        safe_text(payload ->> 'CurrencyIsoCode') as currency
    from source
)

select * from renamed

-- Salesforce opportunities: PartnerAccountId is the partner; StageName/IsClosed/IsWon give the status.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'Opportunity'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as opportunity_id,
        safe_text(payload ->> 'PartnerAccountId') as partner_id,
        safe_text(payload ->> 'Attribution__c') as attribution,
        safe_date(substr(payload ->> 'CreatedDate', 1, 10)) as created_on,
        case when safe_boolean(payload ->> 'IsClosed') then safe_date(payload ->> 'CloseDate') end as closed_on,
        case when safe_boolean(payload ->> 'IsWon') then 'won' when safe_boolean(payload ->> 'IsClosed') then 'lost' when safe_boolean(payload ->> 'IsClosed') = false then 'open' end as status,
        safe_number(payload ->> 'Amount') as amount,
        safe_text(payload ->> 'CurrencyIsoCode') as currency,
        safe_text(payload ->> 'Segment__c') as segment,
        safe_text(payload ->> 'Region__c') as region,
        safe_text(payload ->> 'AccountId') as customer_id,
        safe_boolean(payload ->> 'New_Logo__c') as is_new_logo,
        safe_text(payload ->> 'CampaignId') as campaign_id,
        safe_text(payload ->> 'Deal_Registration__c') as registration_id,
        safe_date(payload ->> 'Expected_Close_On__c') as expected_close_on
    from source
)

select * from renamed

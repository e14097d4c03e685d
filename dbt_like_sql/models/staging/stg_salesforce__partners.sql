-- Salesforce partner accounts (Account, IsPartner = true); AccountNumber carries the cross-system partner key.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'Account'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as partner_id,
        safe_text(payload ->> 'AccountNumber') as match_key,
        safe_text(payload ->> 'Name') as name,
        safe_text(payload ->> 'Website') as domain,
        replace(lower(safe_text(payload ->> 'Partner_Type__c')), ' ', '_') as partner_type,
        replace(lower(safe_text(payload ->> 'ChannelProgramLevelName')), ' ', '_') as tier,
        safe_text(payload ->> 'Region__c') as region,
        safe_text(payload ->> 'BillingCountry') as country,
        safe_date(payload ->> 'Partner_Onboarded_On__c') as onboarded_on,
        safe_date(payload ->> 'Partner_Churned_On__c') as churned_on,
        safe_text(payload ->> 'Partner_Manager__c') as owner_id,
        safe_text(payload ->> 'Executive_Sponsor__c') as exec_sponsor_id
    from source
)

select * from renamed

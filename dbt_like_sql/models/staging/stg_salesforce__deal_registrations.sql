-- Salesforce leads submitted by partner users (PartnerAccountId set) are deal registrations.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'Lead'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as registration_id,
        safe_text(payload ->> 'PartnerAccountId') as partner_id,
        safe_timestamp(replace(payload ->> 'CreatedDate', '+0000', 'Z')) as submitted_at,
        safe_timestamp(replace(payload ->> 'Decided_At__c', '+0000', 'Z')) as decided_at,
        replace(lower(safe_text(payload ->> 'Status')), ' ', '_') as status,
        safe_text(payload ->> 'Conflict__c') as conflict,
        safe_timestamp(replace(payload ->> 'Conflict_Resolved_At__c', '+0000', 'Z')) as conflict_resolved_at,
        safe_text(payload ->> 'ConvertedOpportunityId') as opportunity_id,
        safe_number(payload ->> 'Estimated_Amount__c') as estimated_amount,
        safe_text(payload ->> 'CurrencyIsoCode') as currency
    from source
)

select * from renamed

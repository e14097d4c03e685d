-- Salesforce campaigns run with a partner.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'Campaign'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as campaign_id,
        safe_text(payload ->> 'Partner_Account__c') as partner_id,
        replace(lower(safe_text(payload ->> 'Type')), ' ', '_') as campaign_type,
        safe_boolean(payload ->> 'Is_Joint__c') as is_joint,
        safe_date(payload ->> 'StartDate') as start_on,
        safe_date(payload ->> 'EndDate') as end_on
    from source
)

select * from renamed

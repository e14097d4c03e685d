-- Salesforce OpportunityPartner rows (Role is the partner's part in the deal).
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'OpportunityPartner'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'OpportunityId') as opportunity_id,
        safe_text(payload ->> 'AccountToId') as partner_id,
        replace(lower(safe_text(payload ->> 'Role')), ' ', '_') as role,
        safe_date(substr(payload ->> 'CreatedDate', 1, 10)) as added_on
    from source
)

select * from renamed

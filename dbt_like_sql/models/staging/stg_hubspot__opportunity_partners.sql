-- HubSpot v4 deal-to-company associations; the USER_DEFINED label is the partner's role.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_hubspot where stream = 'deal_company_associations'
),

renamed as (
    select
        org_id,
        'hubspot' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'dealId') as opportunity_id,
        safe_text(payload ->> 'companyId') as partner_id,
        replace(lower(safe_text(payload ->> 'label')), ' ', '_') as role,
        safe_date(payload ->> 'addedOn') as added_on
    from source
)

select * from renamed

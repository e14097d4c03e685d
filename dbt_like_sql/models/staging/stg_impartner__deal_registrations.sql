-- Impartner deals (deal registrations); timestamps carry the tenant's offset and are converted to UTC.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_impartner where stream = 'Deal'
),

renamed as (
    select
        org_id,
        'impartner' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'id') as registration_id,
        safe_text(payload ->> 'accountId') as partner_id,
        safe_timestamp(payload ->> 'created') as submitted_at,
        safe_timestamp(payload ->> 'decided__cf') as decided_at,
        replace(lower(safe_text(payload ->> 'approvalStatus')), ' ', '_') as status,
        safe_text(payload ->> 'conflict__cf') as conflict,
        safe_timestamp(payload ->> 'conflictResolved__cf') as conflict_resolved_at,
        safe_text(payload ->> 'crmOpportunityId') as opportunity_id,
        safe_number(payload ->> 'dealSize') as estimated_amount,
        safe_text(payload ->> 'currencyCode') as currency
    from source
)

select * from renamed

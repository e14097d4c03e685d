-- Salesforce tasks on partner accounts (WhatId) as activities.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'Task'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as activity_id,
        safe_text(payload ->> 'WhatId') as partner_id,
        replace(lower(safe_text(payload ->> 'Type')), ' ', '_') as activity_type,
        safe_timestamp(replace(payload ->> 'CompletedDateTime', '+0000', 'Z')) as occurred_at,
        safe_text(payload ->> 'Initiated_By__c') as initiated_by,
        safe_text(payload ->> 'OwnerId') as owner_id
    from source
)

select * from renamed

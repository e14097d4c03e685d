-- Salesforce MDF budgets.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_salesforce where stream = 'PartnerMarketingBudget'
),

renamed as (
    select
        org_id,
        'salesforce' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'Id') as budget_id,
        safe_text(payload ->> 'Title') as title,
        safe_number(payload ->> 'Amount') as amount,
        safe_text(payload ->> 'CurrencyIsoCode') as currency,
        safe_date(payload ->> 'StartDate') as start_on,
        safe_date(payload ->> 'EndDate') as end_on
    from source
)

select * from renamed

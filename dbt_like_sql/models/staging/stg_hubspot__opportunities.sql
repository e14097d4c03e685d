-- HubSpot deals; partner_company_id names the crediting partner company, dealstage closedwon/closedlost the outcome.
-- Renames, safe casts and the system's own encodings (picklist labels, timestamp offsets) only.
with source as (
    select * from raw_hubspot where stream = 'deals'
),

renamed as (
    select
        org_id,
        'hubspot' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'id') as opportunity_id,
        safe_text(payload -> 'properties' ->> 'partner_company_id') as partner_id,
        safe_text(payload -> 'properties' ->> 'partner_attribution') as attribution,
        safe_date(substr(payload -> 'properties' ->> 'createdate', 1, 10)) as created_on,
        case when payload -> 'properties' ->> 'dealstage' in ('closedwon', 'closedlost') then safe_date(substr(payload -> 'properties' ->> 'closedate', 1, 10)) end as closed_on,
        case when payload -> 'properties' ->> 'dealstage' = 'closedwon' then 'won' when payload -> 'properties' ->> 'dealstage' = 'closedlost' then 'lost' when payload -> 'properties' ->> 'dealstage' is not null then 'open' end as status,
        safe_number(payload -> 'properties' ->> 'amount') as amount,
        safe_text(payload -> 'properties' ->> 'deal_currency_code') as currency,
        safe_text(payload -> 'properties' ->> 'segment') as segment,
        safe_text(payload -> 'properties' ->> 'region') as region,
        safe_text(payload -> 'properties' ->> 'customer_key') as customer_id,
        safe_boolean(payload -> 'properties' ->> 'is_new_logo') as is_new_logo,
        safe_text(payload -> 'properties' ->> 'campaign_key') as campaign_id,
        safe_text(payload -> 'properties' ->> 'deal_registration_key') as registration_id,
        safe_date(payload -> 'properties' ->> 'expected_close_date') as expected_close_on
    from source
)

select * from renamed

-- File export opportunities (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'opportunities'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'opportunity_id') as opportunity_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_text(payload ->> 'attribution') as attribution,
        safe_date(payload ->> 'created_on') as created_on,
        safe_date(payload ->> 'closed_on') as closed_on,
        safe_text(payload ->> 'status') as status,
        safe_number(payload ->> 'amount') as amount,
        safe_text(payload ->> 'currency') as currency,
        safe_text(payload ->> 'segment') as segment,
        safe_text(payload ->> 'region') as region,
        safe_text(payload ->> 'customer_id') as customer_id,
        safe_boolean(payload ->> 'is_new_logo') as is_new_logo,
        safe_text(payload ->> 'campaign_id') as campaign_id,
        safe_text(payload ->> 'registration_id') as registration_id,
        safe_date(payload ->> 'expected_close_on') as expected_close_on
    from source
)

select * from renamed

-- File export campaigns (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'campaigns'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'campaign_id') as campaign_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_text(payload ->> 'campaign_type') as campaign_type,
        safe_boolean(payload ->> 'is_joint') as is_joint,
        safe_date(payload ->> 'start_on') as start_on,
        safe_date(payload ->> 'end_on') as end_on
    from source
)

select * from renamed

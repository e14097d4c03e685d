-- File export partners (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'partners'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_text(payload ->> 'partner_id') as match_key,
        safe_text(payload ->> 'name') as name,
        safe_text(payload ->> 'domain') as domain,
        safe_text(payload ->> 'partner_type') as partner_type,
        safe_text(payload ->> 'tier') as tier,
        safe_text(payload ->> 'region') as region,
        safe_text(payload ->> 'country') as country,
        safe_date(payload ->> 'onboarded_on') as onboarded_on,
        safe_date(payload ->> 'churned_on') as churned_on,
        safe_text(payload ->> 'owner_id') as owner_id,
        safe_text(payload ->> 'exec_sponsor_id') as exec_sponsor_id
    from source
)

select * from renamed

-- File export certifications (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'certifications'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'certification_id') as certification_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_text(payload ->> 'person_id') as person_id,
        safe_text(payload ->> 'certification_name') as certification_name,
        safe_date(payload ->> 'earned_on') as earned_on,
        safe_date(payload ->> 'expires_on') as expires_on
    from source
)

select * from renamed

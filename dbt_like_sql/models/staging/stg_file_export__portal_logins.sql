-- File export portal_logins (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'portal_logins'
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
        safe_text(payload ->> 'user_id') as user_id,
        safe_date(payload ->> 'login_on') as login_on,
        safe_integer(payload ->> 'sessions') as sessions
    from source
)

select * from renamed

-- Sandbox portal_logins: one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_sandbox where stream = 'portal_logins'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
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

-- Sandbox portal_logins: one row per raw version of a record; renames and casts only.
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
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'user_id' as text) as user_id,
        cast(payload ->> 'login_on' as date) as login_on,
        cast(payload ->> 'sessions' as integer) as sessions
    from source
)

select * from renamed

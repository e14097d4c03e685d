-- Sandbox training_enrolments: one row per raw version of a record; renames and casts only.
with source as (
    select * from raw_sandbox where stream = 'training_enrolments'
),

renamed as (
    select
        org_id,
        'sandbox' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        cast(payload ->> 'enrolment_id' as text) as enrolment_id,
        cast(payload ->> 'partner_id' as text) as partner_id,
        cast(payload ->> 'person_id' as text) as person_id,
        cast(payload ->> 'course_id' as text) as course_id,
        cast(payload ->> 'enrolled_on' as date) as enrolled_on,
        cast(payload ->> 'completed_on' as date) as completed_on
    from source
)

select * from renamed

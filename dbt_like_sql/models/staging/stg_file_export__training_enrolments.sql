-- File export training_enrolments (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'training_enrolments'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'enrolment_id') as enrolment_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_text(payload ->> 'person_id') as person_id,
        safe_text(payload ->> 'course_id') as course_id,
        safe_date(payload ->> 'enrolled_on') as enrolled_on,
        safe_date(payload ->> 'completed_on') as completed_on
    from source
)

select * from renamed

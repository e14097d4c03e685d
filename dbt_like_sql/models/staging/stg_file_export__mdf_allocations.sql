-- File export mdf_allocations (rows of a PRM's CSV or Excel export, mapped to canonical names): one row per raw version of a record; renames and safe casts only (see CONTRIBUTING.md).
with source as (
    select * from raw_file_export where stream = 'mdf_allocations'
),

renamed as (
    select
        org_id,
        'file_export' as source,
        source_id,
        source_updated_at,
        fetched_at,
        is_deleted,
        safe_text(payload ->> 'allocation_id') as allocation_id,
        safe_text(payload ->> 'partner_id') as partner_id,
        safe_date(payload ->> 'period_start') as period_start,
        safe_date(payload ->> 'period_end') as period_end,
        safe_number(payload ->> 'amount') as amount,
        safe_text(payload ->> 'currency') as currency
    from source
)

select * from renamed

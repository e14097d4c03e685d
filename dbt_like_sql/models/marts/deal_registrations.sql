-- Canonical deal_registrations: the latest version of each record, deleted records left out.
with versions as (
    select * from stg_sandbox__deal_registrations
),

ranked as (
    select
        versions.*,
        row_number() over (
            partition by org_id, source_id
            order by source_updated_at desc, fetched_at desc
        ) as version_rank
    from versions
),

final as (
    select
        versions.org_id,
        versions.source,
        versions.registration_id,
        versions.partner_id,
        versions.submitted_at,
        versions.decided_at,
        versions.status,
        versions.conflict,
        versions.conflict_resolved_at,
        versions.opportunity_id,
        versions.estimated_amount,
        versions.currency
    from ranked as versions
    where versions.version_rank = 1 and not versions.is_deleted
)

select * from final

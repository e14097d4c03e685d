-- Canonical opportunity_partners: the latest version of each record, deleted records left out.
with versions as (
    select * from stg_sandbox__opportunity_partners
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
        versions.opportunity_id,
        versions.partner_id,
        versions.role,
        versions.added_on
    from ranked as versions
    where versions.version_rank = 1 and not versions.is_deleted
)

select * from final

-- Canonical deal_registrations: the latest version of each record, deleted records left out.
-- Partner ids are each source's own; partner_matches maps them to the organisation's one partner id.
with versions as (
    select * from stg_sandbox__deal_registrations
    union all
    select * from stg_salesforce__deal_registrations
    union all
    select * from stg_partnerstack__deal_registrations
    union all
    select * from stg_impartner__deal_registrations
    union all
    select * from stg_file_export__deal_registrations
),

ranked as (
    select
        versions.*,
        row_number() over (
            partition by org_id, source, source_id
            order by source_updated_at desc, fetched_at desc
        ) as version_rank
    from versions
),

final as (
    select
        versions.org_id,
        versions.source,
        versions.registration_id,
        coalesce(matches.partner_id, versions.partner_id) as partner_id,
        versions.submitted_at,
        versions.decided_at,
        versions.status,
        versions.conflict,
        versions.conflict_resolved_at,
        versions.opportunity_id,
        versions.estimated_amount,
        versions.currency
    from ranked as versions
    left join partner_matches as matches
        on matches.org_id = versions.org_id and matches.source = versions.source
        and matches.source_partner_id = versions.partner_id
    where versions.version_rank = 1 and not versions.is_deleted
)

select * from final

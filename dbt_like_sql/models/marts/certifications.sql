-- Canonical certifications: the latest version of each record, deleted records left out.
-- Partner ids are each source's own; partner_matches maps them to the organisation's one partner id.
with versions as (
    select * from stg_sandbox__certifications
    union all
    select * from stg_file_export__certifications
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
        versions.certification_id,
        coalesce(matches.partner_id, versions.partner_id) as partner_id,
        versions.person_id,
        versions.certification_name,
        versions.earned_on,
        versions.expires_on
    from ranked as versions
    left join partner_matches as matches
        on matches.org_id = versions.org_id and matches.source = versions.source
        and matches.source_partner_id = versions.partner_id
    where versions.version_rank = 1 and not versions.is_deleted
)

select * from final

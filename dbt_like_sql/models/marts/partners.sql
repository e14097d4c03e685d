-- Canonical partners: one row per partner of the organisation, whatever the number of sources that hold it.
-- The latest version of each source record (deleted records left out), mapped to its partner id through
-- partner_matches; when several sources hold one partner, each attribute comes from the first source that has it
-- (PRM before CRM: partnerstack, impartner, file_export, salesforce, hubspot), and the partner was onboarded on the
-- earliest date any source gives.
with versions as (
    select * from stg_sandbox__partners
    union all
    select * from stg_salesforce__partners
    union all
    select * from stg_hubspot__partners
    union all
    select * from stg_partnerstack__partners
    union all
    select * from stg_impartner__partners
    union all
    select * from stg_file_export__partners
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

matched as (
    select
        versions.*,
        matches.partner_id as canonical_id,
        row_number() over (
            partition by versions.org_id, matches.partner_id
            order by case versions.source when 'partnerstack' then 1 when 'impartner' then 2 when 'file_export' then 3 when 'salesforce' then 4 when 'hubspot' then 5 else 6 end, versions.source_updated_at desc
        ) as pick
    from ranked as versions
    inner join partner_matches as matches
        on matches.org_id = versions.org_id and matches.source = versions.source
        and matches.source_partner_id = versions.partner_id
    where versions.version_rank = 1 and not versions.is_deleted
),

final as (
    select
        org_id,
        max(case when pick = 1 then source end) as source,
        canonical_id as partner_id,
        coalesce(max(case when pick = 1 then name end), max(case when pick = 2 then name end)) as name,
        coalesce(max(case when pick = 1 then domain end), max(case when pick = 2 then domain end)) as domain,
        coalesce(max(case when pick = 1 then partner_type end), max(case when pick = 2 then partner_type end))
            as partner_type,
        coalesce(max(case when pick = 1 then tier end), max(case when pick = 2 then tier end)) as tier,
        coalesce(max(case when pick = 1 then region end), max(case when pick = 2 then region end)) as region,
        coalesce(max(case when pick = 1 then country end), max(case when pick = 2 then country end)) as country,
        min(onboarded_on) as onboarded_on,
        coalesce(max(case when pick = 1 then churned_on end), max(case when pick = 2 then churned_on end))
            as churned_on,
        coalesce(max(case when pick = 1 then owner_id end), max(case when pick = 2 then owner_id end)) as owner_id,
        coalesce(max(case when pick = 1 then exec_sponsor_id end), max(case when pick = 2 then exec_sponsor_id end))
            as exec_sponsor_id
    from matched
    group by org_id, canonical_id
)

select * from final

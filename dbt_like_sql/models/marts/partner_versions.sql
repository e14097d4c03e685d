-- Partner attribute history (SCD type 2): tier, owner, sponsor and status per validity interval.
-- A source only shows a partner's versions from the day we first synced it, so the first version is back-dated to
-- the onboarding date; several versions on one day collapse to that day's last. Versions come from the source
-- the partners table takes the partner's attributes from.
with staged as (
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

versions as (
    select stg.org_id, matches.partner_id, stg.onboarded_on, stg.churned_on, stg.tier, stg.owner_id,
           stg.exec_sponsor_id, stg.source_updated_at, stg.fetched_at
    from staged as stg
    inner join partner_matches as matches
        on matches.org_id = stg.org_id and matches.source = stg.source and matches.source_partner_id = stg.partner_id
    inner join partners on partners.org_id = stg.org_id and partners.partner_id = matches.partner_id
        and partners.source = stg.source
    where not stg.is_deleted
),

last_of_day as (
    select
        versions.*,
        cast(source_updated_at as date) as version_day,
        row_number() over (
            partition by org_id, partner_id, cast(source_updated_at as date)
            order by source_updated_at desc, fetched_at desc
        ) as rank_in_day
    from versions
),

ordered as (
    select
        org_id,
        partner_id,
        onboarded_on,
        churned_on,
        tier,
        owner_id,
        exec_sponsor_id,
        version_day,
        row_number() over (partition by org_id, partner_id order by version_day) as version_number,
        lead(version_day) over (partition by org_id, partner_id order by version_day) as next_version_day
    from last_of_day
    where rank_in_day = 1
),

final as (
    select
        org_id,
        partner_id,
        case when version_number = 1 then least(onboarded_on, version_day) else version_day end as valid_from,
        next_version_day as valid_to,
        tier,
        owner_id,
        exec_sponsor_id,
        case when churned_on is not null and churned_on <= version_day then 'churned' else 'active' end as status
    from ordered
)

select * from final

-- Canonical opportunities: the latest version of each record, deleted records left out.
-- Partner ids are each source's own; partner_matches maps them to the organisation's one partner id.
with versions as (
    select * from stg_sandbox__opportunities
    union all
    select * from stg_salesforce__opportunities
    union all
    select * from stg_hubspot__opportunities
    union all
    select * from stg_file_export__opportunities
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
        versions.opportunity_id,
        coalesce(matches.partner_id, versions.partner_id) as partner_id,
        versions.attribution,
        versions.created_on,
        versions.closed_on,
        versions.status,
        versions.amount,
        versions.currency,
        versions.segment,
        versions.region,
        versions.customer_id,
        versions.is_new_logo,
        versions.campaign_id,
        versions.registration_id,
        versions.expected_close_on,
        versions.amount * fx.eur_per_unit as amount_eur
    from ranked as versions
    left join ref_fx_rates as fx on fx.currency = versions.currency
    left join partner_matches as matches
        on matches.org_id = versions.org_id and matches.source = versions.source
        and matches.source_partner_id = versions.partner_id
    where versions.version_rank = 1 and not versions.is_deleted
)

select * from final

-- Partner matching: every source's partner record mapped to the organisation's one partner id.
-- A record's configured cross-system key (Salesforce AccountNumber, HubSpot partner_key_property, PartnerStack
-- partner_key, Impartner partnerKey__cf, a file's partner_id) is the partner id. A record without one takes the key of a keyed
-- record with the same domain, else the same name (case-insensitive); else it stays its own partner (its source id).
with candidates as (
    select org_id, source, source_id, source_updated_at, fetched_at, is_deleted, partner_id as source_partner_id,
           match_key, lower(domain) as domain_key, lower(trim(name)) as name_key
    from stg_sandbox__partners
    union all
    select org_id, source, source_id, source_updated_at, fetched_at, is_deleted, partner_id as source_partner_id,
           match_key, lower(domain) as domain_key, lower(trim(name)) as name_key
    from stg_salesforce__partners
    union all
    select org_id, source, source_id, source_updated_at, fetched_at, is_deleted, partner_id as source_partner_id,
           match_key, lower(domain) as domain_key, lower(trim(name)) as name_key
    from stg_hubspot__partners
    union all
    select org_id, source, source_id, source_updated_at, fetched_at, is_deleted, partner_id as source_partner_id,
           match_key, lower(domain) as domain_key, lower(trim(name)) as name_key
    from stg_partnerstack__partners
    union all
    select org_id, source, source_id, source_updated_at, fetched_at, is_deleted, partner_id as source_partner_id,
           match_key, lower(domain) as domain_key, lower(trim(name)) as name_key
    from stg_impartner__partners
    union all
    select org_id, source, source_id, source_updated_at, fetched_at, is_deleted, partner_id as source_partner_id,
           match_key, lower(domain) as domain_key, lower(trim(name)) as name_key
    from stg_file_export__partners
    union all
    select org_id, source, source_id, source_updated_at, fetched_at, is_deleted, partner_id as source_partner_id,
           match_key, lower(domain) as domain_key, lower(trim(name)) as name_key
    from stg_crossbeam__partners
),

ranked as (
    select
        candidates.*,
        row_number() over (
            partition by org_id, source, source_id
            order by source_updated_at desc, fetched_at desc
        ) as version_rank
    from candidates
),

current_records as (
    select * from ranked
    where version_rank = 1 and not is_deleted and source_partner_id is not null
),

keyed_by_domain as (
    select org_id, domain_key, min(match_key) as match_key
    from current_records
    where match_key is not null and domain_key is not null
    group by org_id, domain_key
),

keyed_by_name as (
    select org_id, name_key, min(match_key) as match_key
    from current_records
    where match_key is not null and name_key is not null
    group by org_id, name_key
),

final as (
    select
        records.org_id,
        records.source,
        records.source_partner_id,
        coalesce(records.match_key, by_domain.match_key, by_name.match_key, records.source_partner_id) as partner_id,
        case
            when records.match_key is not null then 'key'
            when by_domain.match_key is not null then 'domain'
            when by_name.match_key is not null then 'name'
            else 'unmatched'
        end as matched_by
    from current_records as records
    left join keyed_by_domain as by_domain
        on by_domain.org_id = records.org_id and by_domain.domain_key = records.domain_key
        and records.match_key is null
    left join keyed_by_name as by_name
        on by_name.org_id = records.org_id and by_name.name_key = records.name_key
        and records.match_key is null
)

select * from final

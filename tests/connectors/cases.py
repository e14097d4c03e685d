"""The five API connectors as test cases over one simulator: credentials, how each is built for a page size, what the
simulator holds per stream, and a `sync` entry point for a separate process (the kill-and-resume test kills it):

    python -m tests.connectors.cases <system> <simulator base url> <warehouse url> <page size>
"""

from __future__ import annotations

import os
import sys

from connectors.simulator import Simulator, Tenant
from tests.connectors.simhelpers import fast_sleep, tenant

SYSTEMS = ("salesforce", "hubspot", "partnerstack", "impartner", "crossbeam")

CREDS = {"salesforce": {"client_id": "3MVG9-case-client", "client_secret": "case-sf-secret-1"},
         "hubspot": {"token": "pat-na1-case-token"},
         "partnerstack": {"public_key": "pk_live_case", "secret_key": "sk_live_case_secret"},
         "impartner": {"api_key": "imp-case-key-0123", "tenant_id": "4321"},
         "crossbeam": {"client_id": "xb-case-client", "client_secret": "xb-case-secret",
                       "organization": "1b6c2c35-7d7e-4f57-9d0a-1b2c3d4e5f61"}}
# environment variable -> (system, credential)
ENV = {"CASE_SF_ID": ("salesforce", "client_id"), "CASE_SF_SECRET": ("salesforce", "client_secret"),
       "CASE_HS_TOKEN": ("hubspot", "token"), "CASE_PS_PUBLIC": ("partnerstack", "public_key"),
       "CASE_PS_SECRET": ("partnerstack", "secret_key"), "CASE_IMP_KEY": ("impartner", "api_key"),
       "CASE_IMP_TENANT": ("impartner", "tenant_id"), "CASE_XB_ID": ("crossbeam", "client_id"),
       "CASE_XB_SECRET": ("crossbeam", "client_secret"), "CASE_XB_ORG": ("crossbeam", "organization")}


def set_env(monkeypatch) -> None:
    for name, (system, key) in ENV.items():
        monkeypatch.setenv(name, CREDS[system][key])


def case_tenant(**options) -> Tenant:
    return tenant(credentials={k: dict(v) for k, v in CREDS.items()}, **options)


def make(system: str, base_url: str, page: int, **extra):
    """The system's connector against the simulator at `base_url`, reading `page` records per request."""
    url = f"{base_url}/{system}"
    if system == "salesforce":
        from connectors.salesforce import SalesforceConnector, SalesforceSource
        return SalesforceConnector("acme", SalesforceSource(
            type="salesforce", base_url=url, client_id_env="CASE_SF_ID", client_secret_env="CASE_SF_SECRET",
            **extra), sleep=fast_sleep)
    if system == "hubspot":
        from connectors.hubspot import HubSpotConnector, HubSpotSource
        extra.setdefault("search_requests_per_second", 200)  # the simulator enforces no search limit here
        return HubSpotConnector("acme", HubSpotSource(type="hubspot", base_url=url, token_env="CASE_HS_TOKEN",
                                                      page_size=page, **extra), sleep=fast_sleep)
    if system == "partnerstack":
        from connectors.partnerstack import PartnerStackConnector, PartnerStackSource
        return PartnerStackConnector("acme", PartnerStackSource(
            type="partnerstack", base_url=url, public_key_env="CASE_PS_PUBLIC", secret_key_env="CASE_PS_SECRET",
            page_size=page, **extra), sleep=fast_sleep)
    if system == "impartner":
        from connectors.impartner import ImpartnerConnector, ImpartnerSource
        from connectors.simulator.render import IMPARTNER_TZ
        return ImpartnerConnector("acme", ImpartnerSource(
            type="impartner", base_url=url, api_key_env="CASE_IMP_KEY", tenant_id_env="CASE_IMP_TENANT",
            tenant_timezone=IMPARTNER_TZ, page_size=page, **extra), sleep=fast_sleep)
    if system == "crossbeam":
        from connectors.crossbeam import CrossbeamConnector, CrossbeamSource
        return CrossbeamConnector("acme", CrossbeamSource(
            type="crossbeam", base_url=url, client_id_env="CASE_XB_ID", client_secret_env="CASE_XB_SECRET",
            organization_env="CASE_XB_ORG", page_size=page, **extra), sleep=fast_sleep)
    raise ValueError(system)


def simulator(t: Tenant, system: str, page: int, **options) -> Simulator:
    """A simulator serving `t` with `system`'s pages limited to `page` records (Salesforce: its batch size)."""
    return Simulator([t], page_limits={system: page}, **options)


def native(t: Tenant, system: str) -> dict[str, list[dict]]:
    """What the simulator holds, keyed by the connector's streams. HubSpot's deal-company associations are landed
    under the connector's ids and their deal's last-modified time, for live deals only (an archived deal's
    associations are not withdrawn: connector docstring)."""
    objects = dict(t.native(system))
    if system == "hubspot":
        deals = {d["_id"]: d for d in objects["deals"]}
        objects["deal_company_associations"] = [
            {**a, "_id": f"{a['fromObjectId']}-{a['toObjectId']}", "_updated": deals[a["fromObjectId"]]["_updated"]}
            for a in objects["deal_company_associations"] if not deals[a["fromObjectId"]]["_deleted"]]
    return objects


def undated(system: str, stream: str) -> bool:
    """Streams whose records carry no last-modified time (landed at the fetch time)."""
    return system == "crossbeam"


def main(system: str, base_url: str, warehouse_url: str, page: str) -> None:
    from connectors import sync
    from dbt_like_sql.warehouse import make_engine

    sync.sync(make_engine(warehouse_url), make(system, base_url, int(page)))


if __name__ == "__main__":
    assert all(name in os.environ for name in ENV), "set the CASE_* credentials (cases.set_env)"
    main(*sys.argv[1:])

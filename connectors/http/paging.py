"""Pagination as shared strategy objects: each turns a first request into the sequence of pages it leads to.

| strategy | system | next page | end |
|---|---|---|---|
| `NextUrl` | Salesforce `query`/`queryAll` | GET `nextRecordsUrl` | `done` is true (or no `nextRecordsUrl`) |
| `AfterCursor` | HubSpot list (GET) | `after` = `paging.next.after` | no `paging.next` |
| `StartingAfter` | PartnerStack v2 (generic use) | `starting_after` = last item's `key` | `has_more` is false |
| `SkipTake` | Impartner objects v1 | `skip` += page length | `skip` >= `data.count` or a short page |
| `NextHref` | Crossbeam | GET `pagination.next_href` | `has_more` false (cursor style) or no `next_href` |

Incremental reads over live, offset- or position-paged results (HubSpot search, PartnerStack, Impartner) do not use
a strategy page after page: each page restarts from the watermark read so far (see those connectors), so records
changing while the sync pages cannot shift a later record out of reach.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connectors.http.client import HttpClient, Response


@dataclass
class Page:
    records: list[dict]
    response: Response
    number: int


class NextUrl:
    def __init__(self, records_key: str = "records", next_key: str = "nextRecordsUrl", done_key: str = "done"):
        self.records_key, self.next_key, self.done_key = records_key, next_key, done_key

    def pages(self, client: HttpClient, path: str, **kwargs) -> Iterator[Page]:
        response = client.get(path, **kwargs)
        number = 0
        while True:
            body = response.body or {}
            yield Page(list(body.get(self.records_key) or []), response, number)
            nxt = body.get(self.next_key)
            if body.get(self.done_key, True) or not nxt:
                return
            number += 1
            response = client.get(nxt, headers=kwargs.get("headers"))


class AfterCursor:
    """HubSpot: `after` goes into the query string (GET list) or the JSON body (POST search)."""

    def __init__(self, limit: int = 100, method: str = "GET"):
        self.limit, self.method = limit, method

    def pages(self, client: HttpClient, path: str, *, params: dict | None = None, body: dict | None = None,
              after: str | None = None) -> Iterator[Page]:
        number = 0
        while True:
            if self.method == "GET":
                query = {**(params or {}), "limit": self.limit, **({"after": after} if after else {})}
                response = client.get(path, params=query)
            else:
                payload = {**(body or {}), "limit": self.limit, **({"after": after} if after else {})}
                response = client.post(path, json=payload)
            data = response.body or {}
            yield Page(list(data.get("results") or []), response, number)
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
            number += 1


class StartingAfter:
    def __init__(self, limit: int = 250, key: str = "key"):
        self.limit, self.key = limit, key

    def pages(self, client: HttpClient, path: str, *, params: dict | None = None) -> Iterator[Page]:
        cursor = None
        number = 0
        while True:
            query = {**(params or {}), "limit": self.limit, **({"starting_after": cursor} if cursor else {})}
            response = client.get(path, params=query)
            data = (response.body or {}).get("data") or {}
            items = list(data.get("items") or [])
            yield Page(items, response, number)
            if not data.get("has_more") or not items:
                return
            cursor = items[-1][self.key]
            number += 1


class SkipTake:
    def __init__(self, take: int = 100):
        self.take = take

    def pages(self, client: HttpClient, path: str, *, params: dict | None = None, skip: int = 0) -> Iterator[Page]:
        number = 0
        while True:
            response = client.get(path, params={**(params or {}), "skip": skip, "take": self.take})
            data = (response.body or {}).get("data") or {}
            results = list(data.get("results") or [])
            yield Page(results, response, number)
            skip += len(results)
            if len(results) < self.take or skip >= int(data.get("count") or 0):
                return
            number += 1


class NextHref:
    def __init__(self, limit: int = 1000):
        self.limit = limit

    def pages(self, client: HttpClient, path_or_href: str, *, params: dict | None = None) -> Iterator[Page]:
        response = client.get(path_or_href, params={**(params or {}), "limit": self.limit} if params is not None
                              else None)
        number = 0
        while True:
            body = response.body or {}
            records = list(body.get("data") or [])
            yield Page(records, response, number)
            pagination = body.get("pagination") or {}
            href = pagination.get("next_href")
            if "has_more" in pagination:
                if not pagination["has_more"]:
                    return
            elif not records or not href:
                return
            if not href:
                return
            number += 1
            response = client.get(href)


def last_href(page: Page) -> Any:
    return ((page.response.body or {}).get("pagination") or {}).get("next_href")

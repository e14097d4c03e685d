"""The one HTTP layer every API connector uses: session, timeouts, retries, pacing, paging strategies, OAuth2.

- `client.HttpClient`: one `requests.Session` per client, (connect, read) timeouts, retries with exponential backoff
  and full jitter that honour `Retry-After` and each system's own throttle signal (`ThrottleRule`), and pacing from
  rate-limit headers (`Pacer`) so a sync stays under a limit instead of bouncing off it.
- `paging`: pagination as strategy objects (next-URL, `after` cursor, `starting_after`/`has_more`, skip/take,
  cursor + `next_href`).
- `auth`: credentials from environment variables only, OAuth2 token fetch and refresh, and errors that name the
  organisation and the source but never carry a secret.
"""

from connectors.http.auth import AuthError, Credentials, OAuth2ClientCredentials, StaticHeaderAuth
from connectors.http.client import HttpClient, HttpError, RetryPolicy, ThrottleRule
from connectors.http.pacing import Pacer

__all__ = ["AuthError", "Credentials", "HttpClient", "HttpError", "OAuth2ClientCredentials", "Pacer", "RetryPolicy",
           "StaticHeaderAuth", "ThrottleRule"]

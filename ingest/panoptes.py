"""HTTP client for the Panoptes API: auth, retries and paging. Writes no files.

Every request retries 429 (honouring ``Retry-After``), 5xx, timeouts and dropped connections
through urllib3's ``Retry`` with bounded exponential backoff and jitter. Failures that urllib3
cannot see (a body cut short, a body that is not JSON) are retried here with the same backoff.
A 401 refreshes the token once and repeats the request. Secrets and tokens never appear in
messages, logs or exceptions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import orjson
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from ingest import __version__
from ingest.settings import Credentials

log = logging.getLogger(__name__)
T = TypeVar("T")

ACCEPT = "application/vnd.api+json; version=1"
MAX_PAGE_SIZE = 100
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
TOKEN_REFRESH_MARGIN_S = 120.0


class PanoptesError(RuntimeError):
    """A request that failed for good; the message is one line, safe to print."""


class AuthError(PanoptesError):
    """Credentials were refused or are missing."""


def make_retry(attempts: int = 8, backoff_factor: float = 0.5, backoff_max: float = 60.0) -> Retry:
    """Bounded exponential backoff with jitter for every method (token POSTs included)."""
    return Retry(
        total=attempts,
        connect=attempts,
        read=attempts,
        status=attempts,
        other=attempts,
        allowed_methods=None,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        backoff_jitter=backoff_factor,
        respect_retry_after_header=True,
        retry_after_max=int(backoff_max * 5),
        raise_on_status=False,
    )


def api_root(api_url: str) -> str:
    """``https://host/api`` -> ``https://host``: OAuth lives outside ``/api``."""
    trimmed = api_url.rstrip("/")
    return trimmed[: -len("/api")] if trimmed.endswith("/api") else trimmed


@dataclass
class TokenSource:
    """Bearer tokens: a fixed ``PANOPTES_TOKEN``, or OAuth client_credentials refreshed in time."""

    session: requests.Session
    token_url: str
    credentials: Credentials
    timeout: tuple[float, float]
    _token: str | None = field(default=None, repr=False)
    _expires_at: float = field(default=float("inf"), repr=False)

    @property
    def can_refresh(self) -> bool:
        return bool(self.credentials.client_id and self.credentials.client_secret)

    def authorization(self) -> dict[str, str]:
        if self.can_refresh and (self._token is None or time.monotonic() >= self._expires_at):
            self.refresh()
        token = self._token or self.credentials.token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def refresh(self) -> None:
        if not self.can_refresh:
            raise AuthError(
                "the API refused the token (HTTP 401) and it cannot be refreshed: set "
                "PANOPTES_CLIENT_ID and PANOPTES_CLIENT_SECRET, or a fresh PANOPTES_TOKEN"
            )
        body = {
            "grant_type": "client_credentials",
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
        }
        try:
            response = self.session.post(
                self.token_url,
                data=orjson.dumps(body),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise AuthError(f"token request to {self.token_url} failed: {_describe(exc)}") from None
        if response.status_code in RETRY_STATUSES:
            raise AuthError(
                f"token endpoint {self.token_url} is unavailable (HTTP {response.status_code}"
                f"{_retries_note(response)}); try again later"
            )
        if response.status_code != 200:
            raise AuthError(
                f"token request to {self.token_url} was refused (HTTP {response.status_code}): "
                "check PANOPTES_CLIENT_ID and PANOPTES_CLIENT_SECRET"
            )
        try:
            payload = orjson.loads(response.content)
            self._token = str(payload["access_token"])
            lifetime = float(payload.get("expires_in") or 7200)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise AuthError(f"token response from {self.token_url} is not an OAuth token") from None
        margin = min(TOKEN_REFRESH_MARGIN_S, lifetime / 4)
        self._expires_at = time.monotonic() + lifetime - margin
        log.debug("obtained an access token valid for %.0f s", lifetime)


@dataclass(frozen=True)
class RawPage:
    """A listing page kept as the bytes received, for bulk conversion elsewhere.

    Only the trailing ``meta`` block is parsed here, which is what paging needs; the resources
    are parsed later, in bulk. ``empty`` is known only when the whole page had to be parsed.
    """

    body: bytes
    next_href: str | None
    empty: bool = False


class PanoptesClient:
    """Reads from a Panoptes API root such as ``https://www.zooniverse.org/api``."""

    def __init__(
        self,
        api_url: str,
        credentials: Credentials,
        retry: Retry | None = None,
        timeout: tuple[float, float] = (10.0, 120.0),
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.retry = retry or make_retry()
        self.timeout = timeout
        self.session = requests.Session()
        # Proxies are read from the environment once here, not on every request; this also
        # skips the per-request ~/.netrc lookup (auth is a bearer token). A third of the
        # client's time per page otherwise.
        self.session.proxies.update(requests.utils.get_environ_proxies(self.api_url))
        self.session.trust_env = False
        adapter = HTTPAdapter(max_retries=self.retry, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {"Accept": ACCEPT, "User-Agent": f"gz-warehouse-ingest/{__version__}"}
        )
        self.tokens = TokenSource(
            self.session, f"{api_root(self.api_url)}/oauth/token", credentials, timeout
        )
        self.requests_made = 0

    def close(self) -> None:
        self.session.close()

    # -- low level ------------------------------------------------------------------------

    def url(self, href: str) -> str:
        """Absolute URL for a path or an href relative to the API root (as in ``next_href``)."""
        if urlsplit(href).scheme:
            return href
        return urljoin(self.api_url + "/", href.lstrip("/"))

    def get(self, href: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET a JSON object."""
        return self._get(href, params, _json_object)

    def _get(self, href: str, params: dict[str, Any] | None, parse: Callable[[bytes], T]) -> T:
        """GET and ``parse`` the body, retrying what urllib3 cannot see and refreshing on 401.

        ``parse`` raising ``orjson.JSONDecodeError`` marks the body as broken: it is fetched again.
        """
        url = self.url(href)
        retry = self.retry
        refreshed = False
        while True:
            try:
                response = self.session.get(
                    url,
                    params=params,
                    headers=self.tokens.authorization(),
                    timeout=self.timeout,
                    stream=True,
                )
                self.requests_made += 1
                log.debug(
                    "GET %s: HTTP %d in %.2f s",
                    _path(response.url),
                    response.status_code,
                    response.elapsed.total_seconds(),
                )
                if response.status_code == 401 and not refreshed and self.tokens.can_refresh:
                    response.close()
                    log.info("token refused (HTTP 401); refreshing once")
                    self.tokens.refresh()
                    refreshed = True
                    continue
                if response.status_code == 401:
                    response.close()
                    raise AuthError(f"GET {_path(url)} was refused (HTTP 401): {self._why_401()}")
                if response.status_code >= 400:
                    raise PanoptesError(
                        f"GET {_path(url)} failed with HTTP {response.status_code}"
                        f"{_retries_note(response)}: {_body_excerpt(response)}"
                    )
                # One read of the whole body (the connection goes back to the pool once it is
                # all read), rather than requests' 10 kB chunks: a sixth of the client's time.
                return parse(response.raw.read(decode_content=True))
            except (
                requests.exceptions.ChunkedEncodingError,
                urllib3.exceptions.HTTPError,
                orjson.JSONDecodeError,
            ) as exc:
                retry = self._backoff(retry, url, exc)  # broken or timed out while reading the body
            except requests.exceptions.ConnectionError as exc:
                if _retries_exhausted(exc):
                    raise PanoptesError(f"GET {_path(url)} gave up: {_describe(exc)}") from None
                retry = self._backoff(retry, url, exc)
            except requests.RequestException as exc:
                raise PanoptesError(f"GET {_path(url)} failed: {_describe(exc)}") from None

    def _why_401(self) -> str:
        credentials = self.tokens.credentials
        if self.tokens.can_refresh:
            return (
                "a fresh token was refused too; the OAuth application's owner must be an owner "
                "or collaborator of the project, with the classification scope"
            )
        if credentials.token:
            return (
                "PANOPTES_TOKEN was refused and cannot be refreshed (expired?); set a fresh "
                "one, or PANOPTES_CLIENT_ID and PANOPTES_CLIENT_SECRET"
            )
        return (
            "no credentials: set PANOPTES_CLIENT_ID and PANOPTES_CLIENT_SECRET, or PANOPTES_TOKEN"
        )

    def _backoff(self, retry: Retry, url: str, exc: Exception) -> Retry:
        """Count one more failed attempt with urllib3's own bookkeeping, then sleep its backoff."""
        try:
            retry = retry.increment(method="GET", url=url, error=_AsUrllib3Error(exc))
        except MaxRetryError:
            raise PanoptesError(
                f"GET {_path(url)} failed after {len(retry.history) + 1} attempts: {_describe(exc)}"
            ) from None
        log.warning("GET %s: %s; retrying", _path(url), _describe(exc))
        retry.sleep()
        return retry

    def listing(self, href: str, params: dict[str, Any], resource: str) -> Iterator[dict[str, Any]]:
        """Every resource of a listing, following ``meta.<resource>.next_href`` to its end."""
        next_href: str | None = href
        next_params: dict[str, Any] | None = params
        while next_href:
            document = self.get(next_href, next_params)
            items = document.get(resource)
            if not isinstance(items, list):
                raise PanoptesError(
                    f"response to {_path(self.url(next_href))} has no {resource!r} list"
                )
            if not items:
                return
            yield from items
            following = _next_href((document.get("meta") or {}).get(resource) or {})
            if following == next_href:
                return
            next_href, next_params = following, None

    # -- resources ------------------------------------------------------------------------

    def classification_pages(
        self, project_id: int, workflow_id: int, last_id: int, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[RawPage]:
        """Classifications of one workflow with ``id > last_id``, oldest first (keyset paging).

        Pages are yielded as raw bodies (see :class:`RawPage`); the stream ends at the first
        page without a ``next_href``, which the API sends only for an empty page.
        """
        href: str | None = "/classifications/project"
        params: dict[str, Any] | None = {
            "project_id": project_id,
            "workflow_id": workflow_id,
            "last_id": last_id,
            "page_size": min(page_size, MAX_PAGE_SIZE),
        }
        while href:
            page = self._get(href, params, lambda body: _raw_page(body, "classifications"))
            yield page
            if page.next_href == href or page.empty:
                return
            href, params = page.next_href, None

    def subjects(self, subject_ids: list[int]) -> list[dict[str, Any]]:
        """Subjects by id, at most 100 per request."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(subject_ids), MAX_PAGE_SIZE):
            chunk = subject_ids[start : start + MAX_PAGE_SIZE]
            params = {"id": ",".join(str(i) for i in chunk), "page_size": MAX_PAGE_SIZE}
            found.extend(self.listing("/subjects", params, "subjects"))
        return found

    def workflow_versions(self, workflow_id: int) -> list[dict[str, Any]]:
        """Every major.minor version of a workflow, with its tasks and strings."""
        params = {"workflow_id": workflow_id, "page_size": MAX_PAGE_SIZE}
        return list(self.listing("/workflow_versions", params, "workflow_versions"))

    def workflow_ids(self, project_id: int) -> list[int]:
        """Ids of every workflow of a project (used when no workflow is named)."""
        params = {"project_id": project_id, "page_size": MAX_PAGE_SIZE}
        ids = [str(w.get("id")) for w in self.listing("/workflows", params, "workflows")]
        return sorted(int(i) for i in ids if i.isascii() and i.isdigit())


def _json_object(body: bytes) -> dict[str, Any]:
    document = orjson.loads(body)
    if not isinstance(document, dict):
        raise orjson.JSONDecodeError("the top level is not an object", "", 0)
    return document


def _raw_page(body: bytes, resource: str) -> RawPage:
    """Read ``meta.<resource>.next_href`` from a page, parsing only its tail when possible.

    Panoptes writes ``meta`` as the last member of a listing. Parsing just that block keeps the
    fetching thread from spending its time on resources that are parsed in bulk anyway; if the
    tail is not such a block, the whole body is parsed (and a body that is not JSON is retried).
    """
    end = body.rstrip()
    start = end.rfind(b'"meta":')
    if start >= 0 and end.endswith(b"}"):
        try:
            meta = orjson.loads(end[start + len(b'"meta":') : -1])
        except orjson.JSONDecodeError:
            meta = None
        if isinstance(meta, dict) and isinstance(meta.get(resource), dict):
            return RawPage(body, _next_href(meta[resource]))
    document = _json_object(body)
    items = document.get(resource)
    if not isinstance(items, list):
        raise orjson.JSONDecodeError(f"the page has no {resource!r} list", "", 0)
    meta = (document.get("meta") or {}).get(resource) or {}
    return RawPage(body, _next_href(meta) if items else None, empty=not items)


def _next_href(meta: dict[str, Any]) -> str | None:
    href = meta.get("next_href")
    return href if isinstance(href, str) and href else None


class _AsUrllib3Error(Exception):
    """Wraps a body-level failure so ``Retry.increment`` counts it as an 'other' error."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(_describe(cause))


def _retries_exhausted(exc: requests.exceptions.ConnectionError) -> bool:
    return bool(exc.args) and isinstance(exc.args[0], MaxRetryError)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _body_excerpt(response: requests.Response) -> str:
    text = " ".join(response.text.split())
    return text[:200] if text else "(empty body)"


def _retries_note(response: requests.Response) -> str:
    history = getattr(response.raw, "retries", None)
    attempts = len(history.history) if history is not None else 0
    return f" after {attempts + 1} attempts" if attempts else ""

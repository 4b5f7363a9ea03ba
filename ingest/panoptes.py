"""HTTP client for the Panoptes API: auth, retries and paging. Writes no files.

Every request retries 429 (honouring ``Retry-After``), 5xx, timeouts and dropped connections
through urllib3's ``Retry`` with bounded exponential backoff and jitter. Failures that urllib3
cannot see (a body cut short, a body that is not JSON, a body still arriving ``timeout``
seconds after its headers) are retried here with the same backoff. A 401 refreshes the token
once and repeats the request.

A hostile or broken server cannot hold a run forever, loop it, or collect credentials: paging
that comes back to a page already read stops with an error, and the bearer token and client
secret go only to the API's own scheme, host and port (a ``next_href`` or a redirect elsewhere
is refused; the token POST follows no redirect). Secrets and tokens are replaced by
``[redacted]`` in every message, exception and log record, also where a server echoes them
(:data:`SECRETS`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlencode, urljoin, urlsplit

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
READ_SIZE = 1 << 20  # bytes asked of the socket at a time; it answers with what it has
DEFAULT_PORTS = {"http": 80, "https": 443}
REDACTED = "[redacted]"


class SecretRedactor(logging.Filter):
    """Replaces every registered secret by ``[redacted]``: as sent, JSON-escaped or URL-encoded.

    As a logging filter it redacts each record's message and traceback in place, so every
    handler after it sees them redacted. Registering is thread-safe.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._shown: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *secrets: str | None) -> None:
        """Remember ``secrets`` (``None`` and empty ones are skipped)."""
        shown = set()
        for secret in filter(None, secrets):
            escaped = {secret, orjson.dumps(secret).decode()[1:-1], json.dumps(secret)[1:-1]}
            for form in escaped:
                shown |= {form, quote(form, safe=""), quote(form), quote_plus(form, safe="")}
        with self._lock:
            if shown <= self._shown:
                return
            self._shown |= shown
            longest_first = sorted(self._shown, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, longest_first)))

    def redact(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(REDACTED, text) if pattern is not None else text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken format: the handler reports it, as usual
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


# Every secret this process has read or been given: PANOPTES_CLIENT_SECRET, PANOPTES_TOKEN and
# each OAuth access token obtained. The command line puts it on its log handlers.
SECRETS = SecretRedactor()
log.addFilter(SECRETS)


class PanoptesError(RuntimeError):
    """A request that failed for good; the message is one line, safe to print. ``status`` is
    the HTTP status the server refused it with, when it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(SECRETS.redact(message))
        self.status = status


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

    def __post_init__(self) -> None:
        SECRETS.add(self.credentials.client_secret, self.credentials.token)

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
                allow_redirects=False,  # a redirect would POST the secret again, maybe elsewhere
                stream=True,
            )
            if response.is_redirect:
                response.close()
                target = _origin_of(urljoin(self.token_url, response.headers["Location"]))
                raise AuthError(
                    f"token endpoint {self.token_url} redirected to {target}; not following "
                    "it (the client secret is posted only to the API's own address)"
                )
            content = _read_body(response, self.timeout[1])
        except (requests.RequestException, urllib3.exceptions.HTTPError, _TooSlow) as exc:
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
            payload = orjson.loads(content)
            self._token = str(payload["access_token"])
            SECRETS.add(self._token)
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
    """Reads from a Panoptes API root such as ``https://www.zooniverse.org/api``.

    ``timeout`` is (connect, read) seconds; a response's body must also arrive whole within
    the read timeout of its headers, however steadily its bytes come.
    """

    def __init__(
        self,
        api_url: str,
        credentials: Credentials,
        retry: Retry | None = None,
        timeout: tuple[float, float] = (10.0, 120.0),
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.origin = _origin(self.api_url)
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
        """Absolute URL for a path or an href relative to the API root (as in ``next_href``).

        An absolute href elsewhere than the API's scheme, host and port is refused: requests
        carry the bearer token.
        """
        if not urlsplit(href).scheme:
            return f"{self.api_url}/{href.lstrip('/')}"
        if _origin(href) != self.origin:
            raise PanoptesError(
                f"the API sent a link to {_origin_of(href)}, not the API's host "
                f"{_origin_of(self.api_url)}; not following it (credentials go only to the API)"
            )
        return href

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
                    hooks={"response": self._refuse_foreign_redirect},
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
                        f"{_retries_note(response)}: {_body_excerpt(response, self.timeout[1])}",
                        status=response.status_code,
                    )
                return parse(_read_body(response, self.timeout[1]))
            except (
                requests.exceptions.ChunkedEncodingError,
                urllib3.exceptions.HTTPError,
                orjson.JSONDecodeError,
                _TooSlow,
            ) as exc:
                retry = self._backoff(retry, url, exc)  # broken or timed out while reading the body
            except requests.exceptions.ConnectionError as exc:
                if _retries_exhausted(exc):
                    raise PanoptesError(f"GET {_path(url)} gave up: {_describe(exc)}") from None
                retry = self._backoff(retry, url, exc)
            except requests.RequestException as exc:
                raise PanoptesError(f"GET {_path(url)} failed: {_describe(exc)}") from None

    def _refuse_foreign_redirect(self, response: requests.Response, **_: Any) -> None:
        """A ``requests`` response hook: never follow a redirect away from the API's host.

        ``requests`` would drop the Authorization header there, but the answer would still be
        taken for the API's; a redirect within the API's host is followed as usual.
        """
        if not response.is_redirect:
            return
        target = urljoin(response.url, response.headers["Location"])
        if _origin(target) != self.origin:
            response.close()
            raise PanoptesError(
                f"GET {_path(response.url)} was redirected to {_origin_of(target)}, not the "
                f"API's host {_origin_of(self.api_url)}; not following it (set --api-url to "
                "where the API lives)"
            )

    def _page_key(self, href: str, params: dict[str, Any] | None) -> str:
        """The page a request reads, however its query is spelled (to notice paging loops)."""
        parts = urlsplit(self.url(href))
        query = parse_qsl(parts.query, keep_blank_values=True)
        query += [(str(k), str(v)) for k, v in (params or {}).items()]
        return f"{parts.path}?{urlencode(sorted(query))}"

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
        read: set[str] = set()
        while next_href:
            _check_new_page(read, self._page_key(next_href, next_params), resource)
            document = self.get(next_href, next_params)
            items = document.get(resource)
            if not isinstance(items, list):
                raise PanoptesError(
                    f"response to {_path(self.url(next_href))} has no {resource!r} list"
                )
            if not items:
                return
            yield from items
            next_href = _next_href((document.get("meta") or {}).get(resource) or {})
            next_params = None

    # -- resources ------------------------------------------------------------------------

    def classification_pages(
        self, project_id: int, workflow_id: int, last_id: int, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[RawPage]:
        """Classifications of one workflow with ``id > last_id``, oldest first (keyset paging).

        Pages are yielded as raw bodies (see :class:`RawPage`); the stream ends at the first
        page without a ``next_href``, which the API sends only for an empty page. A
        ``next_href`` whose ``last_id`` goes back, or that leads to a page already read, ends it
        with an error rather than a loop; one that repeats the request's ``last_id`` ends it.
        """
        href: str | None = "/classifications/project"
        params: dict[str, Any] | None = {
            "project_id": project_id,
            "workflow_id": workflow_id,
            "last_id": last_id,
            "page_size": min(page_size, MAX_PAGE_SIZE),
        }
        read: set[str] = set()
        while href:
            page = self._get(href, params, lambda body: _raw_page(body, "classifications"))
            yield page
            if page.empty or page.next_href is None:
                return
            following = _last_id(page.next_href)
            if following is None:  # not keyset paging after all: still never read a page twice
                _check_new_page(read, self._page_key(page.next_href, None), "classifications")
            elif following == last_id:  # the page again: what the server has ends here
                log.warning(
                    "the API's next page of workflow %d's classifications repeats last_id=%d; "
                    "taking it as the end of the stream",
                    workflow_id,
                    last_id,
                )
                return
            elif following < last_id:
                raise PanoptesError(
                    f"the API's next page of workflow {workflow_id}'s classifications starts "
                    f"after last_id={following}, not after last_id={last_id}; stopping rather "
                    "than reading pages again"
                )
            else:
                last_id = following
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

    def workflows(self, project_id: int) -> list[Any]:
        """Every workflow of a project, as served (each checked when it is landed)."""
        params = {"project_id": project_id, "page_size": MAX_PAGE_SIZE}
        return list(self.listing("/workflows", params, "workflows"))

    def project(self, project_id: int) -> list[Any]:
        """``/projects/{id}``: the ``projects`` list of the document (one project, as served)."""
        href = f"/projects/{project_id}"
        projects = self.get(href).get("projects")
        if not isinstance(projects, list):
            raise PanoptesError(f"response to {_path(self.url(href))} has no 'projects' list")
        return projects


def workflow_ids(workflows: list[Any]) -> list[int]:
    """Ids of the workflows of a ``/workflows`` listing (resources without a readable id are
    left out here, and set aside when the listing is landed)."""
    ids = [str(w.get("id")) for w in workflows if isinstance(w, dict)]
    return sorted({int(i) for i in ids if i.isascii() and i.isdigit()})


class _TooSlow(Exception):
    """A response body still arriving when its deadline passed."""


def _read_body(response: requests.Response, within: float) -> bytes:
    """The whole body, unless it takes more than ``within`` seconds (however steadily it comes).

    Reads what the socket has, up to :data:`READ_SIZE` at a time, rather than requests' 10 kB
    chunks (a sixth of the client's time); the connection goes back to the pool once the body
    is all read, and is closed if the body is given up on.
    """
    deadline = time.monotonic() + within
    chunks = []
    while chunk := response.raw.read1(READ_SIZE, decode_content=True):
        chunks.append(chunk)
        if time.monotonic() > deadline:
            response.close()
            received = sum(map(len, chunks))
            raise _TooSlow(
                f"the response was still arriving {within:g} s after its headers "
                f"({received:,} bytes so far)"
            )
    return b"".join(chunks)


def _check_new_page(read: set[str], page: str, resource: str) -> None:
    if page in read:
        shown = unquote(page)
        shown = shown if len(shown) <= 120 else shown[:117] + "..."
        raise PanoptesError(
            f"paging {resource} went back to a page already read ({shown}); stopping rather "
            "than reading it again"
        )
    read.add(page)


def _last_id(href: str) -> int | None:
    values = [v for k, v in parse_qsl(urlsplit(href).query) if k == "last_id"]
    return int(values[-1]) if values and values[-1].isascii() and values[-1].isdigit() else None


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the port filled in from the scheme when it is implied."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme)


def _origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, for messages (never its path, query or user)."""
    scheme, host, port = _origin(url)
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + ("" if port in (None, DEFAULT_PORTS.get(scheme)) else f":{port}")


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
    """One line, secrets redacted before it is cut short (so no part of one is left)."""
    text = SECRETS.redact(" ".join(str(exc).split())) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _body_excerpt(response: requests.Response, within: float) -> str:
    """The start of an error body on one line, secrets redacted before it is cut short."""
    try:
        body = _read_body(response, within)
    except (_TooSlow, requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        return f"(body unreadable: {_describe(exc)})"
    text = SECRETS.redact(" ".join(body.decode(errors="replace").split()))
    return text[:200] if text else "(empty body)"


def _retries_note(response: requests.Response) -> str:
    history = getattr(response.raw, "retries", None)
    attempts = len(history.history) if history is not None else 0
    return f" after {attempts + 1} attempts" if attempts else ""

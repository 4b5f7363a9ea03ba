"""A local Panoptes API stand-in that speaks the real wire format over HTTP.

It serves what the real API serves for bulk reads: OAuth ``client_credentials`` at
``/oauth/token``; ``/api/classifications/project`` with keyset paging (``last_id``; ``count``
and ``page_count`` always 0; ``next_href`` set while a page is non-empty); ``/api/subjects``,
``/api/workflows``, ``/api/workflow_versions`` and ``/api/subject_workflow_statuses`` with
ordinary paging; ``/api/projects/{id}`` (404 for a project it does not hold); and, outside
``/api`` as Panoptes' upload store is, a PNG drawn for each sample subject at
``/subject_images/<id>.png``, where the served subjects' ``locations`` point. The
``Accept: application/vnd.api+json; version=1`` header is required (404 without it), and
classification and workflow-version reads need a valid bearer token (401 otherwise).

Faults can be switched on to test clients (:class:`Fault`; ``kind[,option=value...]`` on the
command line):

- ``status``: answer with HTTP ``status`` (default 503);
- ``rate_limit``: 429 with ``Retry-After: seconds``;
- ``delay``: wait ``seconds`` before answering;
- ``hold``: leave the request unanswered until released;
- ``reset``: drop the connection with a TCP reset;
- ``truncate``: send half the body promised, then drop the connection;
- ``garbage``: a 200 whose body is not JSON;
- ``expire_tokens``: revoke every token issued, then answer (so with a 401);
- ``drip``: send the body one byte every ``seconds``;
- ``loop_next``: the page's ``next_href`` points back to the first page the fault was applied
  to (that page itself, when it has no next page), so paging never ends;
- ``foreign_next``: the page's ``next_href`` is an absolute URL on ``host``;
- ``echo``: HTTP ``status`` (default 503) whose error message repeats the request's
  ``Authorization`` header and body, followed by the whole request as JSON and URL-encoded;
- ``redirect``: 307 (or ``status=308``) to the same path on ``host``;
- ``token_redirect``: a ``redirect`` with ``path`` defaulting to ``/oauth/token``.

Every option: ``times=N`` (default 1), ``after=N`` matching requests first (default 0),
``path=/prefix`` (with or without ``/api``), ``status=N``, ``seconds=S``, ``host=HOST[:PORT]``
(or a whole ``scheme://host:port``). Every request is recorded (never the token itself) so
tests can assert what a client asked for.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import orjson

from standin.data import IMAGE_ROOT, StandInData

__all__ = ["Fault", "FaultPlan", "PanoptesStandIn", "StandInData"]

log = logging.getLogger(__name__)

ACCEPT = "application/vnd.api+json; version=1"
DEFAULT_PAGE_SIZE = 20
PAGE_SIZE_LIMIT = 100
FAULT_KINDS = (
    "status",
    "rate_limit",
    "delay",
    "hold",
    "reset",
    "truncate",
    "garbage",
    "expire_tokens",
    "drip",
    "loop_next",
    "foreign_next",
    "echo",
    "redirect",
    "token_redirect",
)
# Faults that change conditions, after which the request is served normally.
_PREPARING = frozenset({"delay", "hold", "expire_tokens"})
# Faults that answer in place of the resource.
_ANSWERING = frozenset(
    {"status", "rate_limit", "garbage", "reset", "echo", "redirect", "token_redirect"}
)
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_IMAGE_PATH = re.compile(r"/subject_images/(\d{1,18})\.png")
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
_IMAGE_ROOT = IMAGE_ROOT.encode()

_LINKS = {
    "classifications": {
        "classifications.project": {
            "href": "/projects/{classifications.project}",
            "type": "projects",
        },
        "classifications.user": {"href": "/users/{classifications.user}", "type": "users"},
        "classifications.user_group": {
            "href": "/user_groups/{classifications.user_group}",
            "type": "user_groups",
        },
        "classifications.workflow": {
            "href": "/workflows/{classifications.workflow}",
            "type": "workflows",
        },
        "classifications.subjects": {
            "type": "subjects",
            "href": "/subjects/{classifications.subjects}",
        },
    },
    "subjects": {
        "subjects.project": {"href": "/projects/{subjects.project}", "type": "projects"},
        "subjects.collections": {
            "href": "/collections?subject_id={subjects.id}",
            "type": "collections",
        },
    },
    "workflows": {
        "workflows.project": {"href": "/projects/{workflows.project}", "type": "projects"}
    },
    "workflow_versions": {
        "workflow_versions.workflow": {
            "href": "/workflows/{workflow_versions.workflow}",
            "type": "workflows",
        }
    },
}


# -- faults -----------------------------------------------------------------------------------


@dataclass
class Fault:
    """One misbehaviour, applied to the next ``times`` matching requests after ``after`` pass.

    A ``hold`` leaves its requests unanswered until :meth:`release` (from the command line: a
    server that hangs). ``held`` is set once one is waiting, so a test can act while a client
    is known to be stopped at that request. The kinds are listed in the module's docstring.
    """

    kind: str
    times: int = 1
    path: str = ""
    status: int = 503
    seconds: float = 1.0
    after: int = 0
    host: str = ""
    anchor: str | None = field(default=None, init=False, repr=False, compare=False)
    held: threading.Event = field(
        default_factory=threading.Event, init=False, repr=False, compare=False
    )
    released: threading.Event = field(
        default_factory=threading.Event, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; choose from {', '.join(FAULT_KINDS)}")
        if self.kind == "token_redirect" and not self.path:
            self.path = "/oauth/token"
        if self.kind in ("foreign_next", "redirect", "token_redirect") and not self.host:
            raise ValueError(f"fault {self.kind!r} needs host=HOST[:PORT]")

    @property
    def origin(self) -> str:
        """``host`` as ``scheme://host[:port]``."""
        return self.host if "://" in self.host else f"http://{self.host}"

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Parse ``kind[,times=N][,path=/x][,status=N][,seconds=S][,after=N][,host=H]``.

        For example ``rate_limit,seconds=2``, ``status,status=503,times=3,path=/subjects`` or
        ``foreign_next,host=localhost:8001``.
        """
        kind, *options = [part.strip() for part in spec.split(",")]
        values: dict[str, Any] = {}
        for option in options:
            key, _, value = option.partition("=")
            if key in ("times", "status", "after"):
                values[key] = int(value)
            elif key == "seconds":
                values[key] = float(value)
            elif key in ("path", "host"):
                values[key] = value
            else:
                raise ValueError(f"unknown fault option {key!r} in {spec!r}")
        return cls(kind=kind, **values)

    def release(self) -> None:
        """Answer the requests a ``hold`` keeps waiting, and let any later ones through."""
        self.released.set()


class FaultPlan:
    """Faults waiting to happen; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.applied: list[tuple[str, str]] = []

    def add(self, fault: Fault | str) -> None:
        with self._lock:
            self._faults.append(Fault.parse(fault) if isinstance(fault, str) else fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if not path.startswith(fault.path) and not path.startswith("/api" + fault.path):
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                self.applied.append((fault.kind, path))
                return fault
        return None


# -- server -----------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    authorized: bool
    status: int = 0
    at: float = field(default_factory=time.monotonic)


class PanoptesStandIn:
    """Run with ``with PanoptesStandIn(data, clients={"id": "secret"}) as api: api.url``."""

    def __init__(
        self,
        data: StandInData,
        clients: dict[str, str] | None = None,
        static_tokens: Iterable[str] = (),
        token_lifetime: int = 7200,
        host: str = "127.0.0.1",
        port: int = 0,
        require_auth: bool = True,
    ) -> None:
        self.data = data
        self.clients = dict(clients or {})
        self.static_tokens = set(static_tokens)
        self.token_lifetime = token_lifetime
        self.require_auth = require_auth
        self.faults = FaultPlan()
        self.requests: list[RecordedRequest] = []
        self.tokens_issued = 0
        self.connections = 0
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self._server = _QuietServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.standin = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return f"{self.root}/api"

    def start(self) -> PanoptesStandIn:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> PanoptesStandIn:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- tokens ----------------------------------------------------------------------------

    def issue_token(self) -> tuple[str, int]:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_lifetime
            self.tokens_issued += 1
        return token, self.token_lifetime

    def token_valid(self, token: str) -> bool:
        if token in self.static_tokens:
            return True
        with self._lock:
            expires = self._tokens.get(token)
        return expires is not None and time.monotonic() < expires

    def revoke_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def issued_tokens(self) -> list[str]:
        """Every token handed out and still remembered (for tests that look for leaks)."""
        with self._lock:
            return list(self._tokens)

    def count_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]


class _QuietServer(ThreadingHTTPServer):
    """A client that goes away mid-response (killed, timed out) is not an error worth a trace."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PanoptesStandIn/1"

    @property
    def api(self) -> PanoptesStandIn:
        return self.server.standin  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.api.count_connection()

    def log_message(self, format: str, *args: Any) -> None:  # shown with -v
        log.debug("%s %s", self.address_string(), format % args)

    # -- dispatch --------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        token = self._bearer()
        entry = RecordedRequest(method, parts.path, params, authorized=token is not None)
        body = self._read_body() if method == "POST" else b""
        fault = self.api.faults.take(parts.path)
        if fault is not None and fault.kind in _PREPARING:
            self._prepare(fault)
            fault = None
        if fault is not None and fault.kind in _ANSWERING:
            self._misbehave(fault, entry, body)
            self.api.record(entry)
            return
        status, payload, headers = self._route(method, parts.path, params, token, body)
        entry.status = status
        self.api.record(entry)
        if fault is None:
            self._send(status, payload, headers)
        elif fault.kind == "truncate":  # promise the whole body, send half, drop the line
            self._send(status, payload[: len(payload) // 2], headers, length=len(payload))
            self._reset()
        elif fault.kind == "drip":
            self._send(status, payload, headers, drip=fault.seconds)
        else:  # loop_next, foreign_next
            self._send(status, _with_next_href(fault, parts.path, params, payload), headers)

    def _route(
        self, method: str, path: str, params: dict[str, str], token: str | None, body: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        if method == "POST" and path == "/oauth/token":
            return self._token(body)
        if method == "GET" and (image := _IMAGE_PATH.fullmatch(path)):
            return self._subject_image(int(image.group(1)))
        if not path.startswith("/api/") or method != "GET":
            return _error(404, "Not found")
        if self.headers.get("Accept", "") != ACCEPT:
            return _error(404, "Not found: send Accept: application/vnd.api+json; version=1")
        if token is not None and not self.api.token_valid(token):
            return _error(401, "You must be logged in to access this resource.")
        resource = path[len("/api/") :].rstrip("/")
        needs_token = resource in (
            "classifications/project",
            "workflow_versions",
            "subject_workflow_statuses",
        )
        if needs_token and token is None and self.api.require_auth:
            return _error(401, "You must be logged in to access this resource.")
        try:
            if resource == "classifications/project":
                return self._classifications(params)
            if resource == "subjects":
                return self._subjects(params)
            if resource == "workflows":
                return self._listing(
                    "workflows", self.api.data.workflows, params, "project_id", "project"
                )
            if resource == "workflow_versions":
                return self._listing(
                    "workflow_versions",
                    self.api.data.workflow_versions,
                    params,
                    "workflow_id",
                    "workflow",
                )
            if resource == "subject_workflow_statuses":
                return self._subject_workflow_statuses(params)
            if resource.startswith("projects/"):
                return self._project(resource[len("projects/") :])
        except ValueError as exc:
            return _error(422, str(exc))
        return _error(404, "Not found")

    # -- resources -------------------------------------------------------------------------

    def _token(self, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        content_type = self.headers.get("Content-Type", "")
        try:
            if "json" in content_type:
                form = {k: str(v) for k, v in orjson.loads(body or b"{}").items()}
            else:
                form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        except (orjson.JSONDecodeError, AttributeError, UnicodeDecodeError):
            return 400, orjson.dumps({"error": "invalid_request"}), {}
        if form.get("grant_type") != "client_credentials":
            return 400, orjson.dumps({"error": "unsupported_grant_type"}), {}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if not client_id or self.api.clients.get(client_id) != secret:
            return (
                401,
                orjson.dumps(
                    {
                        "error": "invalid_client",
                        "error_description": "Client authentication failed.",
                    }
                ),
                {},
            )
        token, lifetime = self.api.issue_token()
        return (
            200,
            orjson.dumps(
                {
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": lifetime,
                    "scope": "public project classification subject",
                    "created_at": int(time.time()),
                }
            ),
            {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"},
        )

    def _classifications(self, params: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        page_size = _page_size(params)
        page = _int(params.get("page"), "page", 1)
        project = params.get("project_id")
        workflow = params.get("workflow_id") or params.get("workflow_ids")
        if "last_id" in params and project is None:
            raise ValueError("Project ID required if last_id is included")
        if project is None:
            return _ok("classifications", [], _meta(page, page_size, 0, 0, None))
        last_id = _int(params.get("last_id"), "last_id", 0)
        items, page_max_id = self.api.data.classifications(
            _int(project, "project_id", 0),
            None if workflow is None else _int(workflow, "workflow_id", 0),
            last_id,
            (page - 1) * page_size,
            page_size,
        )
        query = {k: v for k, v in params.items() if k != "page"}
        next_href = None
        if items:
            if "last_id" in params:
                query["last_id"] = str(page_max_id)
            else:
                query["page"] = str(page + 1)
            next_href = "/classifications/project?" + urlencode(sorted(query.items()))
        meta = _meta(page, page_size, 0, 0, next_href)
        meta["next_page"] = page + 1 if items else None
        return _ok("classifications", items, meta)

    def _subjects(self, params: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        wanted = params.get("id") or params.get("ids") or ""
        ids = sorted({_int(i, "id", 0) for i in wanted.split(",") if i})
        found = [self.api.data.subjects[i] for i in ids if i in self.api.data.subjects]
        root = self._own_root().encode()
        found = [body.replace(_IMAGE_ROOT, root) for body in found]
        return self._paged("subjects", found, params, "/subjects")

    def _subject_image(self, subject_id: int) -> tuple[int, bytes, dict[str, str]]:
        """The image drawn for a sample subject, where its ``locations`` point (outside
        ``/api``, as Panoptes' upload store is); no token or Accept header needed."""
        if subject_id not in self.api.data.drawn:
            return _error(404, "Not found")
        headers = {"Content-Type": "image/png", "Cache-Control": "public, max-age=86400"}
        return 200, _subject_png(subject_id), headers

    def _own_root(self) -> str:
        """``http://host:port`` as the client reached this server (its Host header, when it is
        a plain host name), so image URLs work from wherever the subjects were fetched."""
        host = self.headers.get("Host", "")
        return f"http://{host}" if _HOST.fullmatch(host) else self.api.root

    def _project(self, wanted: str) -> tuple[int, bytes, dict[str, str]]:
        """``/projects/{id}``: one project in a ``projects`` list, or 404 as Panoptes answers
        for a project it does not have (or does not show)."""
        project = self.api.data.projects.get(int(wanted)) if wanted.isdigit() else None
        if project is None:
            return _error(404, f"Could not find project with id='{wanted}'")
        return _ok("projects", [orjson.dumps(project)], _meta(1, DEFAULT_PAGE_SIZE, 1, 1, None))

    def _subject_workflow_statuses(
        self, params: dict[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        workflow, subject = params.get("workflow_id"), params.get("subject_id")
        found = self.api.data.subject_workflow_statuses(
            None if workflow is None else _int(workflow, "workflow_id", 0),
            None if subject is None else _int(subject, "subject_id", 0),
        )
        return self._paged("subject_workflow_statuses", found, params, "/subject_workflow_statuses")

    def _listing(
        self,
        name: str,
        resources: list[dict[str, Any]],
        params: dict[str, str],
        filter_key: str,
        link: str,
    ) -> tuple[int, bytes, dict[str, str]]:
        wanted = params.get(filter_key)
        chosen = [
            orjson.dumps(r)
            for r in resources
            if wanted is None or str((r.get("links") or {}).get(link)) == wanted
        ]
        return self._paged(name, chosen, params, f"/{name}")

    def _paged(
        self, name: str, items: list[bytes], params: dict[str, str], href: str
    ) -> tuple[int, bytes, dict[str, str]]:
        page_size = _page_size(params)
        page = _int(params.get("page"), "page", 1)
        count = len(items)
        page_count = max(1, math.ceil(count / page_size))
        chunk = items[(page - 1) * page_size : page * page_size]
        query = {k: v for k, v in params.items() if k != "page"}
        next_href = None
        if page < page_count:
            next_href = f"{href}?" + urlencode(sorted({**query, "page": str(page + 1)}.items()))
        meta = _meta(page, page_size, count, page_count, next_href)
        meta["next_page"] = page + 1 if next_href else None
        return _ok(name, chunk, meta)

    # -- plumbing --------------------------------------------------------------------------

    def _bearer(self) -> str | None:
        header = self.headers.get("Authorization", "")
        return header[len("Bearer ") :] if header.startswith("Bearer ") else None

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        payload: bytes,
        headers: dict[str, str],
        length: int | None = None,
        drip: float | None = None,
    ) -> None:
        """Answer; with ``drip``, one byte of the body every ``drip`` seconds."""
        self.send_response(status)
        self.send_header("Content-Type", headers.pop("Content-Type", ACCEPT))
        self.send_header("Content-Length", str(len(payload) if length is None else length))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if drip is None:
            self.wfile.write(payload)
            self.wfile.flush()
            return
        self.wfile.flush()
        for i in range(len(payload)):  # until the client hangs up (a ConnectionError ends it)
            time.sleep(drip)
            self.wfile.write(payload[i : i + 1])
            self.wfile.flush()

    def _prepare(self, fault: Fault) -> None:
        """Faults that change conditions, after which the request is served normally."""
        if fault.kind == "delay":
            time.sleep(fault.seconds)
        elif fault.kind == "hold":
            fault.held.set()
            fault.released.wait()
        elif fault.kind == "expire_tokens":
            self.api.revoke_tokens()

    def _misbehave(self, fault: Fault, entry: RecordedRequest, body: bytes) -> None:
        """Answer with an error, a rate limit, a body that is not JSON, an echo of the request,
        a redirect, or no answer at all."""
        if fault.kind == "status":
            entry.status = fault.status
            self._send(*_error(fault.status, "Simulated failure"))
        elif fault.kind == "rate_limit":
            entry.status = 429
            status, payload, headers = _error(429, "Rate limit exceeded")
            headers["Retry-After"] = str(math.ceil(fault.seconds))
            self._send(status, payload, headers)
        elif fault.kind == "echo":
            entry.status = fault.status
            request = {
                "request_line": self.requestline,
                "headers": dict(self.headers.items()),
                "body": body.decode(errors="replace"),
            }
            credentials = self.headers.get("Authorization", "no Authorization")
            message = f"Simulated failure for {credentials} {request['body']}".strip()
            document = {
                "errors": [{"message": message, "request": request}],
                "request_urlencoded": quote(orjson.dumps(request), safe=""),
            }
            self._send(fault.status, orjson.dumps(document), {})
        elif fault.kind in ("redirect", "token_redirect"):
            entry.status = fault.status if fault.status in _REDIRECT_STATUSES else 307
            self._send(entry.status, b"", {"Location": fault.origin + self.path})
        elif fault.kind == "garbage":
            entry.status = 200
            self._send(
                200, b"<html><body>502 Bad Gateway</body></html>", {"Content-Type": "text/html"}
            )
        else:  # reset
            entry.status = -1
            self._reset()

    def _reset(self) -> None:
        """Close the connection with a TCP reset, as a dropped proxy connection looks."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


def _ok(name: str, items: list[bytes], meta: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
    body = (
        b'{"'
        + name.encode()
        + b'":['
        + b",".join(items)
        + b'],"links":'
        + orjson.dumps(_LINKS.get(name, {}))
        + b',"meta":'
        + orjson.dumps({name: meta})
        + b"}"
    )
    return 200, body, {}


def _with_next_href(fault: Fault, path: str, params: dict[str, str], payload: bytes) -> bytes:
    """A listing page whose ``next_href`` loops back (``loop_next``) or leaves for another host
    (``foreign_next``); any other body is left as it is."""
    try:
        document = orjson.loads(payload)
        (meta,) = document["meta"].values()
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return payload
    here = path.removeprefix("/api") + "?" + urlencode(sorted(params.items()))
    if fault.kind == "foreign_next":
        meta["next_href"] = fault.origin + "/api" + (meta.get("next_href") or here)
    else:
        if fault.anchor is None:
            fault.anchor = here
        if here != fault.anchor:
            meta["next_href"] = fault.anchor
        elif not meta.get("next_href"):
            meta["next_href"] = here
    return orjson.dumps(document)


def _meta(
    page: int, page_size: int, count: int, page_count: int, next_href: str | None
) -> dict[str, Any]:
    return {
        "page": page,
        "page_size": page_size,
        "count": count,
        "include": [],
        "page_count": page_count,
        "previous_page": page - 1,
        "next_page": None,
        "first_href": None,
        "previous_href": None,
        "next_href": next_href,
        "last_href": None,
    }


def _error(status: int, message: str) -> tuple[int, bytes, dict[str, str]]:
    return status, orjson.dumps({"errors": [{"message": message}]}), {}


def _page_size(params: dict[str, str]) -> int:
    return max(
        1, min(_int(params.get("page_size"), "page_size", DEFAULT_PAGE_SIZE), PAGE_SIZE_LIMIT)
    )


@lru_cache(maxsize=2048)
def _subject_png(subject_id: int) -> bytes:
    from standin.images import subject_png  # numpy and Pillow, only once an image is asked for

    return subject_png(subject_id)


def _int(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit():
        raise ValueError(f"{name} must be an integer")
    return int(value)

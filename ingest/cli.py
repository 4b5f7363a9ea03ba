"""The ingest commands: ``python -m ingest api|lab-exports``, also ``gz-warehouse ingest ...``.

``export`` stays a name of ``lab-exports`` (cron lines and scripts use it).

Parsing only: each command's work lives in its own module. :func:`run` turns the errors a
user can act on into one line and an exit status.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ingest.export import ExportError
from ingest.landing import LandingError
from ingest.lock import LockTimeout, holding
from ingest.panoptes import MAX_PAGE_SIZE, SECRETS, PanoptesError
from ingest.settings import Credentials, Settings, SettingsError

log = logging.getLogger("ingest")

# Errors whose message is the whole story: printed as one line, exit status 1.
USER_ERRORS: tuple[type[BaseException], ...] = (
    PanoptesError,
    ExportError,
    LandingError,
    SettingsError,
    LockTimeout,
    OSError,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Land Zooniverse Panoptes classifications, subjects and workflow versions "
        "as hive-partitioned parquet under $WAREHOUSE_DATA_DIR/raw (default: data/raw). "
        "The same commands are `gz-warehouse ingest ...`.",
    )
    add_commands(parser.add_subparsers(title="commands", required=True, metavar="COMMAND"))
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace, user_errors: tuple[type[BaseException], ...] = ()) -> int:
    """Run a parsed command: logging as its -v/-q asked, user errors as one line, secrets
    redacted from both."""
    verbosity = getattr(args, "verbosity", 0)
    logging.basicConfig(
        level={-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}[verbosity],
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    credentials = Credentials.from_env()
    SECRETS.add(credentials.client_secret, credentials.token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(SECRETS)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print(
            "interrupted; everything landed so far is whole and the next run resumes",
            file=sys.stderr,
        )
        return 130
    except (*USER_ERRORS, *user_errors) as exc:
        print(f"error: {SECRETS.redact(str(exc))}", file=sys.stderr)
        return 1
    except Exception:  # a defect: its traceback goes through the log, secrets redacted
        log.exception("unexpected error; please report it with this traceback")
        return 1


def add_commands(commands: argparse._SubParsersAction) -> None:
    """The ``api`` and ``lab-exports`` (also ``export``, its older name) commands."""
    api = commands.add_parser(
        "api",
        help="fetch new classifications, then their subjects and workflow versions",
        description="Fetch from the Panoptes API every classification newer than the largest id "
        "already landed for each (project, workflow), then the subjects they name and every "
        "workflow version, and append them to the landing. Credentials come from the "
        "environment only: PANOPTES_CLIENT_ID and PANOPTES_CLIENT_SECRET (OAuth "
        "client_credentials), or PANOPTES_TOKEN (a bearer token).",
    )
    add_verbosity(api, "also log every request: its path, status and seconds")
    api.add_argument(
        "--project-id", type=positive_int, required=True, help="Panoptes project id (required)"
    )
    api.add_argument(
        "--workflow-id",
        type=positive_int,
        action="append",
        dest="workflow_ids",
        metavar="ID",
        help="workflow to fetch; repeat for several (default: every workflow of the project)",
    )
    api.add_argument(
        "--api-url",
        default=None,
        help="API root (default: $PANOPTES_API_URL, else https://www.zooniverse.org/api)",
    )
    api.add_argument(
        "--page-size",
        type=_page_size,
        default=MAX_PAGE_SIZE,
        help=f"classifications per request, 1-{MAX_PAGE_SIZE} (default {MAX_PAGE_SIZE})",
    )
    api.add_argument(
        "--max-retries",
        type=int,
        default=8,
        help="attempts per request after the first, on 429, 5xx, timeouts and broken bodies "
        "(default 8)",
    )
    api.add_argument(
        "--retry-backoff",
        type=float,
        default=0.5,
        metavar="SECONDS",
        help="base of the exponential backoff between attempts, with as much jitter "
        "(default 0.5; capped at 60 s, Retry-After honoured)",
    )
    api.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="give up on a response whose headers, or whole body, take longer than this to "
        "arrive (a server sending a byte at a time included), then retry (default 120)",
    )
    api.add_argument(
        "--rows-per-file",
        type=positive_int,
        default=50_000,
        help="roll to a new landed file after this many rows, so a long run lands progress "
        "as it goes (default 50000)",
    )
    api.add_argument(
        "--lookback-minutes",
        type=float,
        default=None,
        metavar="MINUTES",
        help="also read again the classifications created this long before the newest one "
        "landed, and land those not seen: Panoptes can make an id visible after higher ones; "
        "0 turns it off (default: $WAREHOUSE_API_LOOKBACK_MINUTES, else 60)",
    )
    add_data_dir(api)
    api.set_defaults(run=_run_api)

    export = commands.add_parser(
        "lab-exports",
        aliases=["export"],
        help="land the Lab's CSV data exports (classifications, workflows, subjects)",
        description="Land the Lab's data exports into the same layout as the API, with source "
        "'export'. Answer labels are mapped back to indices through the workflow version each "
        "classification was made under (from --workflows, or versions already landed). Rows "
        "already landed are skipped; rows that cannot be read or mapped are set aside under "
        "raw/rejected/ with their reason.",
    )
    add_verbosity(export, "also log every batch of rows converted")
    export.add_argument(
        "--classifications", type=Path, metavar="CSV", help="classification export (default: none)"
    )
    export.add_argument(
        "--workflows", type=Path, metavar="CSV", help="workflow export (default: none)"
    )
    export.add_argument(
        "--subjects", type=Path, metavar="CSV", help="subject export (default: none)"
    )
    export.add_argument(
        "--project-id",
        type=positive_int,
        default=None,
        help="project the exports belong to (exports do not say; default: the project of "
        "classifications already landed for the same workflow, else 0 with a warning)",
    )
    add_data_dir(export)
    export.set_defaults(run=_run_export)


def add_verbosity(parser: argparse.ArgumentParser, verbose_help: str) -> None:
    """``-v`` (saying what it adds for this command) and ``-q``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=1,
        help=f"{verbose_help} (default: off)",
    )
    group.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=-1,
        help="only warnings, errors and the summary (default: progress lines too)",
    )
    parser.set_defaults(verbosity=0)


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="landing root (default: $WAREHOUSE_DATA_DIR, else data)",
    )


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _page_size(text: str) -> int:
    value = positive_int(text)
    if value > MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"Panoptes caps page_size at {MAX_PAGE_SIZE}")
    return value


def _run_api(args: argparse.Namespace) -> int:
    from ingest.api_ingest import ingest_api
    from ingest.landing import Landing
    from ingest.panoptes import PanoptesClient, make_retry

    settings = Settings.from_env(data_dir=args.data_dir)
    if not settings.credentials.usable:
        log.warning(
            "no credentials in the environment (PANOPTES_CLIENT_ID + PANOPTES_CLIENT_SECRET, or "
            "PANOPTES_TOKEN); reading classifications will be refused"
        )
    landing = Landing(settings.data_dir)
    client = PanoptesClient(
        args.api_url or settings.api_url,
        settings.credentials,
        retry=make_retry(attempts=args.max_retries, backoff_factor=args.retry_backoff),
        timeout=(min(10.0, args.timeout), args.timeout),
    )
    try:
        with holding(landing.root):
            summary = ingest_api(
                client, landing, args.project_id, args.workflow_ids, args.page_size,
                rows_per_file=args.rows_per_file,
                lookback_minutes=settings.lookback_minutes
                if args.lookback_minutes is None else args.lookback_minutes,
            )  # fmt: skip
    finally:
        client.close()
    print("\n".join(summary.lines()))
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from ingest.export import load_exports
    from ingest.landing import Landing

    if not (args.classifications or args.workflows or args.subjects):
        raise ExportError("give at least one of --classifications, --workflows, --subjects")
    landing = Landing(Settings.from_env(data_dir=args.data_dir).data_dir)
    with holding(landing.root):
        summary = load_exports(
            landing,
            classifications=args.classifications,
            workflows=args.workflows,
            subjects=args.subjects,
            project_id=args.project_id,
        )
    print("\n".join(summary.lines()))
    return 0

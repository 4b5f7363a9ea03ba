"""Command line: ``python -m ingest COMMAND ...`` (``--help`` lists the commands)."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

from ingest import settings
from ingest.export import ExportError
from ingest.lock import LockTimeout, holding
from ingest.panoptes import PanoptesError
from ingest.schema_docs import SchemaDocsError

log = logging.getLogger("ingest")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print(
            "interrupted; everything landed so far is whole and the next run resumes",
            file=sys.stderr,
        )
        return 130
    except (PanoptesError, ExportError, SchemaDocsError, LockTimeout, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Land Zooniverse Panoptes classifications, subjects and workflow versions "
        "as hive-partitioned parquet under $WAREHOUSE_DATA_DIR/raw (default: data/raw).",
    )
    common = argparse.ArgumentParser(add_help=False)
    verbosity = common.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="store_true", help="log every request")
    verbosity.add_argument(
        "-q", "--quiet", action="store_true", help="only warnings and the summary"
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    api = commands.add_parser(
        "api",
        parents=[common],
        help="fetch new classifications, then their subjects and workflow versions",
        description="Fetch from the Panoptes API every classification newer than the largest id "
        "already landed for each (project, workflow), then the subjects they name and every "
        "workflow version, and append them to the landing. Credentials come from the "
        "environment only: PANOPTES_CLIENT_ID and PANOPTES_CLIENT_SECRET (OAuth "
        "client_credentials), or PANOPTES_TOKEN (a bearer token).",
    )
    api.add_argument("--project-id", type=_positive_int, required=True, help="Panoptes project id")
    api.add_argument(
        "--workflow-id",
        type=_positive_int,
        action="append",
        dest="workflow_ids",
        metavar="ID",
        help="workflow to fetch; repeat for several (default: every workflow of the project)",
    )
    api.add_argument(
        "--api-url",
        default=None,
        help=f"API root (default: $PANOPTES_API_URL, else {settings.DEFAULT_API_URL})",
    )
    api.add_argument(
        "--page-size",
        type=_page_size,
        default=100,
        help="classifications per request, 1-100 (default 100)",
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
        help="give up waiting for a response after this long, then retry (default 120)",
    )
    api.add_argument(
        "--rows-per-file",
        type=_positive_int,
        default=50_000,
        help="roll to a new landed file after this many rows, so a long run lands progress "
        "as it goes (default 50000)",
    )
    _add_data_dir(api)
    api.set_defaults(run=_run_api)

    export = commands.add_parser(
        "export",
        parents=[common],
        help="land the Lab's CSV data exports (classifications, workflows, subjects)",
        description="Land Lab data exports into the same layout as the API, with source "
        "'export'. Answer labels are mapped back to indices through the workflow version each "
        "classification was made under (from --workflows, or versions already landed). Rows "
        "already landed are skipped; rows that cannot be read or mapped are set aside under "
        "raw/rejected/ with their reason.",
    )
    export.add_argument("--classifications", type=Path, metavar="CSV", help="classification export")
    export.add_argument("--workflows", type=Path, metavar="CSV", help="workflow export")
    export.add_argument("--subjects", type=Path, metavar="CSV", help="subject export")
    export.add_argument(
        "--project-id",
        type=_positive_int,
        default=None,
        help="project the exports belong to (exports do not say; by default taken from "
        "classifications already landed for the same workflow)",
    )
    _add_data_dir(export)
    export.set_defaults(run=_run_export)

    catalogue = commands.add_parser(
        "catalogue",
        parents=[common],
        help="convert an external catalogue's FITS table to parquet for the crossmatch",
        description="Read the first table of a FITS file (e.g. the NASA-Sloan Atlas) with astropy "
        "and write it as parquet under $WAREHOUSE_DATA_DIR/catalogues/, for dbt's "
        "external_catalogue var. Columns holding an array per row are left out.",
    )
    catalogue.add_argument("fits", type=Path, help="FITS file")
    _add_data_dir(catalogue)
    catalogue.set_defaults(run=_run_catalogue)

    write_catalogue = commands.add_parser(
        "write-catalogue",
        parents=[common],
        help="write a schema's catalogue (its wide mart) as CSV and FITS",
        description="Write <schema>_vote_fractions, as published by the last dbt build under "
        "$WAREHOUSE_DATA_DIR/marts/, as <schema>.csv and <schema>.fits (a FITS binary table, "
        "via astropy), the formats Galaxy Zoo catalogues are published in.",
    )
    write_catalogue.add_argument("schema", help="schema name, e.g. gz_decals_dr5")
    write_catalogue.add_argument(
        "--out-dir",
        type=Path,
        default=Path("catalogues"),
        help="where to write (default: catalogues)",
    )
    _add_data_dir(write_catalogue)
    write_catalogue.set_defaults(run=_run_write_catalogue)

    dashboard = commands.add_parser(
        "dashboard",
        parents=[common],
        help="serve a live dashboard over the published parquet marts (offline)",
        description="Serve a dashboard over $WAREHOUSE_DATA_DIR/marts/*.parquet: new "
        "classifications per hour and day per workflow, subjects reaching the retirement count, "
        "the vote-fraction distribution of each question, and a page per subject. Reads only the "
        "published parquet, so it never blocks a dbt build.",
    )
    dashboard.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    dashboard.add_argument("--port", type=int, default=8050, help="0 picks a free port")
    dashboard.add_argument(
        "--retirement-count",
        type=_positive_int,
        default=40,
        help="classifications after which a subject counts as retired (default 40)",
    )
    _add_data_dir(dashboard)
    dashboard.set_defaults(run=_run_dashboard)

    document_schema = commands.add_parser(
        "document-schema",
        parents=[common],
        help="write the dbt docs of a schema's wide marts from its seed rows",
        description="Write models/marts/_<schema>__models.yml, describing every column of "
        "<schema>_vote_fractions and <schema>_catalogue in the words of the seed "
        "(seeds/question_answer_schema.csv). Run it from the dbt project after changing a "
        "schema's seed rows or adding its one-line model.",
    )
    document_schema.add_argument(
        "schemas",
        nargs="*",
        metavar="SCHEMA",
        help="schemas to document (default: every schema with a <schema>_vote_fractions model)",
    )
    document_schema.add_argument(
        "--project-dir", type=Path, default=Path("."), help="dbt project root (default: .)"
    )
    document_schema.set_defaults(run=_run_document_schema)

    standin = commands.add_parser(
        "standin",
        parents=[common],
        help="serve the bundled Galaxy Zoo sample through a local Panoptes stand-in",
        description="Serve a deterministic Galaxy Zoo sample (real workflow 6122 versions) "
        "with the Panoptes wire format: OAuth, keyset paging, optional faults. Accepts the "
        "client id/secret in PANOPTES_CLIENT_ID/PANOPTES_CLIENT_SECRET (default: "
        "demo/demo-secret).",
    )
    standin.add_argument("--host", default="127.0.0.1")
    standin.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    standin.add_argument("--classifications", type=int, default=20_000)
    standin.add_argument("--subjects", type=int, default=1_000)
    standin.add_argument("--seed", type=int, default=6122)
    standin.add_argument("--token-lifetime", type=int, default=7200, help="seconds")
    standin.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="e.g. 'rate_limit,times=2,seconds=1' or 'status,status=503,path=/classifications'",
    )
    standin.set_defaults(run=_run_standin)

    build = commands.add_parser(
        "build",
        parents=[common],
        help="dbt build, unless nothing landed and the project is unchanged since the last one",
        description="Run `dbt build` with the given arguments, unless the landed files, the dbt "
        "project's files and the arguments are those of the last successful build (recorded in "
        "the warehouse) and its parquet marts are all still there. `dbt build` run directly "
        "always builds. Arguments after `--` go to dbt: "
        "python -m ingest build -- --exclude-resource-type unit_test",
    )
    build.add_argument("--force", action="store_true", help="build even if nothing changed")
    build.add_argument(
        "--project-dir", type=Path, default=Path("."), help="the dbt project (default: here)"
    )
    _add_data_dir(build)
    build.add_argument("dbt_args", nargs=argparse.REMAINDER, help="arguments for dbt build")
    build.set_defaults(run=_run_build)

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="offline end to end: stand-in -> ingest over HTTP -> dbt build -> summary",
        description="Start the stand-in on a free port, ingest the bundled sample through the real "
        "HTTP path in two passes (the second only sees what is new), run dbt build, and print a "
        "summary. Uses its own landing directory, recreated on every run.",
    )
    demo.add_argument("--data-dir", type=Path, default=Path("demo-data"))
    demo.add_argument("--classifications", type=int, default=20_000)
    demo.add_argument("--subjects", type=int, default=1_000)
    demo.set_defaults(run=_run_demo)
    return parser


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="landing root (default: $WAREHOUSE_DATA_DIR, else data)",
    )


def _run_api(args: argparse.Namespace) -> int:
    from ingest.api_ingest import ingest_api
    from ingest.landing import Landing
    from ingest.panoptes import PanoptesClient, make_retry

    credentials = settings.Credentials.from_env()
    if not (credentials.token or (credentials.client_id and credentials.client_secret)):
        log.warning(
            "no credentials in the environment (PANOPTES_CLIENT_ID + PANOPTES_CLIENT_SECRET, or "
            "PANOPTES_TOKEN); reading classifications will be refused"
        )
    landing = Landing(args.data_dir or settings.data_dir())
    client = PanoptesClient(
        args.api_url or settings.api_url(),
        credentials,
        retry=make_retry(attempts=args.max_retries, backoff_factor=args.retry_backoff),
        timeout=(min(10.0, args.timeout), args.timeout),
    )
    try:
        with holding(landing.root):
            summary = ingest_api(
                client, landing, args.project_id, args.workflow_ids, args.page_size,
                rows_per_file=args.rows_per_file,
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
    landing = Landing(args.data_dir or settings.data_dir())
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


def _run_catalogue(args: argparse.Namespace) -> int:
    from ingest.catalogue import convert_fits

    if not args.fits.is_file():
        raise OSError(f"no such file: {args.fits}")
    data_dir = args.data_dir or settings.data_dir()
    with holding(data_dir):
        summary = convert_fits(args.fits, data_dir)
    print("\n".join(summary.lines()))
    return 0


def _run_write_catalogue(args: argparse.Namespace) -> int:
    from ingest.catalogue import write_catalogue

    if not re.fullmatch(r"[A-Za-z0-9_]+", args.schema):
        raise OSError(f"not a schema name: {args.schema!r}")
    for path, rows in write_catalogue(
        args.schema, args.data_dir or settings.data_dir(), args.out_dir
    ):
        print(f"wrote {path} ({rows:,} rows)")
    return 0


def _run_dashboard(args: argparse.Namespace) -> int:
    from ingest.dashboard import Marts, serve

    marts = Marts((args.data_dir or settings.data_dir()) / "marts", args.retirement_count)
    server = serve(marts, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"dashboard at http://{host}:{port}/ (reading {marts.directory})", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def _run_document_schema(args: argparse.Namespace) -> int:
    from ingest.schema_docs import documented_schemas, write_properties

    for schema in args.schemas or documented_schemas(args.project_dir):
        print(f"wrote {write_properties(args.project_dir, schema)}")
    return 0


def _run_standin(args: argparse.Namespace) -> int:
    import os

    from ingest import sample
    from ingest.standin import Fault, PanoptesStandIn, StandInData

    data = StandInData.from_sample(sample.generate(args.classifications, args.subjects, args.seed))
    client_id = os.environ.get("PANOPTES_CLIENT_ID") or "demo"
    secret = os.environ.get("PANOPTES_CLIENT_SECRET") or "demo-secret"
    server = PanoptesStandIn(
        data,
        clients={client_id: secret},
        token_lifetime=args.token_lifetime,
        host=args.host,
        port=args.port,
    )
    for spec in args.fault:
        server.faults.add(Fault.parse(spec))
    print(f"Panoptes stand-in serving project {sample.PROJECT_ID} at {server.url}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.stop()
    return 0


def _run_build(args: argparse.Namespace) -> int:
    import os

    from ingest.build import build

    if args.data_dir:  # dbt reads the data directory from the environment
        os.environ["WAREHOUSE_DATA_DIR"] = str(args.data_dir)
    dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
    return build(
        settings.data_dir(), settings.warehouse_db(), args.project_dir, dbt_args, args.force
    )


def _run_demo(args: argparse.Namespace) -> int:
    from ingest.demo import run_demo

    return run_demo(args.data_dir, args.classifications, args.subjects)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer id, got {text!r}")
    return int(text)


def _page_size(text: str) -> int:
    value = _positive_int(text)
    if value > 100:
        raise argparse.ArgumentTypeError("Panoptes caps page_size at 100")
    return value

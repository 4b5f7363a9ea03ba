"""``gz-warehouse``: one command for everything (``gz-warehouse --help`` lists the commands).

Parsing only; each command's work lives in its own module, imported when the command runs.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ingest import cli as ingest_cli
from ingest.cli import add_data_dir, add_verbosity, positive_int
from ingest.settings import Credentials, Settings
from warehouse import __version__
from warehouse.dbt import PROJECT_DIR
from warehouse.schema_docs import SchemaDocsError
from warehouse.schema_init import SchemaInitError
from warehouse.training_labels import CatalogueError

DEFAULT_PORTS = {"dashboard": 8050, "standin": 8765}


def main(argv: list[str] | None = None) -> int:
    return ingest_cli.run(
        parser().parse_args(argv), user_errors=(SchemaDocsError, SchemaInitError, CatalogueError)
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="gz-warehouse",
        description="An analytical warehouse for Zooniverse decision-tree classifications: "
        "Panoptes and Lab exports into a parquet landing, dbt on DuckDB, catalogues and a "
        "dashboard on the marts.",
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = root.add_subparsers(title="commands", required=True, metavar="COMMAND")

    ingest = commands.add_parser(
        "ingest",
        help="land Panoptes API data or the Lab's exports (as `python -m ingest`)",
        description="Land classifications, subjects and workflow versions as parquet under "
        "$WAREHOUSE_DATA_DIR/raw (default data/raw).",
    )
    ingest_cli.add_commands(ingest.add_subparsers(title="sources", required=True, metavar="SOURCE"))

    _add_build(commands)
    _add_dashboard(commands)
    _add_catalogue(commands)
    _add_document_schema(commands)
    _add_schema(commands)
    _add_demo(commands)
    _add_standin(commands)
    return root


def _add_build(commands: argparse._SubParsersAction) -> None:
    build = commands.add_parser(
        "build",
        help="dbt build, skipped when nothing landed and the project is unchanged",
        description="Run `dbt build` in the dbt project with the given arguments, unless the "
        "landed files, the project's files and the arguments are those of the last successful "
        "build (recorded in the warehouse) and its parquet marts are all still there. "
        "Arguments after `--` go to dbt: gz-warehouse build -- --exclude-resource-type unit_test",
    )
    build.add_argument(
        "--force", action="store_true", help="build even if nothing changed (default: off)"
    )
    build.add_argument(
        "--project-dir",
        type=Path,
        default=PROJECT_DIR,
        help="the dbt project (default: the one this package is installed from)",
    )
    add_data_dir(build)
    build.add_argument("dbt_args", nargs=argparse.REMAINDER, help="arguments for dbt build")
    build.set_defaults(run=_run_build)


def _add_dashboard(commands: argparse._SubParsersAction) -> None:
    dashboard = commands.add_parser(
        "dashboard",
        help="serve a live dashboard over the published parquet marts (offline)",
        description="Serve a dashboard over $WAREHOUSE_DATA_DIR/marts/*.parquet: the "
        "project's workflows and their retirement (as Panoptes reports it, else by the "
        "workflow's own rule), classifications and volunteers over time, vote fractions, the "
        "vote accounting and the retirement rules replayed; a sky map coloured by any answer's "
        "vote fraction, a subject browser with thumbnails and CSV download, and a page per "
        "subject. Reads only the published parquet, so it never blocks a dbt build.",
    )
    add_verbosity(dashboard, "also log every request the dashboard serves")
    _add_listen(dashboard, "dashboard")
    add_data_dir(dashboard)
    dashboard.set_defaults(run=_run_dashboard)


def _add_catalogue(commands: argparse._SubParsersAction) -> None:
    catalogue = commands.add_parser(
        "catalogue",
        help="external catalogues in (for the crossmatch) and published catalogues out",
        description="`catalogue import` brings an external catalogue in for the crossmatch; "
        "`catalogue write` writes schemas' catalogues as astronomers publish them, or their "
        "training labels as zoobot reads them (`catalogue publish` is `catalogue write "
        "--format catalogue` for one schema).",
    )
    actions = catalogue.add_subparsers(title="actions", required=True, metavar="ACTION")
    import_ = actions.add_parser(
        "import",
        help="convert an external catalogue's FITS table to parquet for the crossmatch",
        description="Read the first table of a FITS file (e.g. the NASA-Sloan Atlas) with astropy "
        "and write it as parquet under $WAREHOUSE_DATA_DIR/catalogues/, for dbt's "
        "external_catalogue var. Columns holding an array per row are left out.",
    )
    import_.add_argument("fits", type=Path, help="FITS file")
    add_data_dir(import_)
    import_.set_defaults(run=_run_catalogue_import)

    write = actions.add_parser(
        "write",
        help="write schemas' catalogues (CSV and FITS) or zoobot training labels (parquet, CSV)",
        description="From the marts the last build published under $WAREHOUSE_DATA_DIR/marts/. "
        "--format catalogue: each schema's <schema>_vote_fractions as <schema>.csv and "
        "<schema>.fits (a FITS binary table whose header says how the warehouse was built and "
        "describes every column), the formats Galaxy Zoo catalogues are published in. "
        "--format zoobot: the training labels of the schemas, in the order given, as one table "
        "for zoobot / galaxy-datasets (id_str, iauname, ra, dec, file_loc, then per question "
        "{question}{suffix}_{answer} vote counts and {question}{suffix}_total-votes; one row "
        "per galaxy, empty where a campaign did not classify it), as "
        "<schema>[+<schema>...]_zoobot.parquet and .csv.",
    )
    write.add_argument(
        "schemas", nargs="+", metavar="SCHEMA", help="schema name, e.g. gz_decals_dr5"
    )
    write.add_argument(
        "--format",
        choices=("catalogue", "zoobot"),
        default="catalogue",
        help="catalogue (CSV and FITS per schema) or zoobot (training labels, one table) "
        "(default: catalogue)",
    )
    _add_out_dir(write)
    add_data_dir(write)
    write.set_defaults(run=_run_catalogue_write)

    publish = actions.add_parser(
        "publish",
        help="write a schema's catalogue (its wide mart) as CSV and FITS "
        "(as `catalogue write SCHEMA --format catalogue`)",
        description="Write <schema>_vote_fractions, as published by the last build under "
        "$WAREHOUSE_DATA_DIR/marts/, as <schema>.csv and <schema>.fits (a FITS binary table, "
        "via astropy, whose header says how the warehouse was built and describes every "
        "column), the formats Galaxy Zoo catalogues are published in. The same as "
        "`catalogue write SCHEMA --format catalogue`.",
    )
    publish.add_argument("schema", help="schema name, e.g. gz_decals_dr5")
    _add_out_dir(publish)
    add_data_dir(publish)
    publish.set_defaults(run=_run_catalogue_publish)


def _add_out_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=Path("catalogues"),
        help="where to write (default: catalogues)",
    )


def _add_document_schema(commands: argparse._SubParsersAction) -> None:
    document = commands.add_parser(
        "document-schema",
        help="write the dbt docs of a schema's wide marts from its seed rows",
        description="Write models/marts/_<schema>__models.yml, describing every column of "
        "<schema>_vote_fractions and <schema>_catalogue in the words of the seed "
        "(seeds/question_answer_schema.csv). Run it after changing a schema's seed rows or "
        "adding its model.",
    )
    document.add_argument(
        "schemas",
        nargs="*",
        metavar="SCHEMA",
        help="schemas to document (default: every schema with a <schema>_vote_fractions model)",
    )
    document.add_argument(
        "--project-dir",
        type=Path,
        default=PROJECT_DIR,
        help="the dbt project (default: the one this package is installed from)",
    )
    document.set_defaults(run=_run_document_schema)


def _add_schema(commands: argparse._SubParsersAction) -> None:
    schema = commands.add_parser(
        "schema",
        help="onboard a Panoptes decision tree as a question/answer schema",
        description="`schema init` writes a schema's seed rows, wide mart and docs from the "
        "newest version of a workflow.",
    )
    actions = schema.add_subparsers(title="actions", required=True, metavar="ACTION")
    init = actions.add_parser(
        "init",
        help="write a schema's seed rows, wide mart and docs from a workflow's newest version",
        description="Read every version of the workflow (from a Lab workflows export, else "
        "from the landing), print per version and task what the models would count and what "
        "not and why, then write from the newest version the schema's rows of "
        "seeds/question_answer_schema.csv, seeds/label_aliases.csv, "
        "seeds/workflow_schema.csv, seeds/schema_campaigns.csv (an empty campaign suffix for a "
        "new schema), models/marts/<schema>_vote_fractions.sql and its docs. "
        "Running it again replaces the schema's rows; other schemas' rows stay as they are.",
    )
    init.add_argument(
        "--schema", required=True, help="schema name: lower-case letters, digits, _ (required)"
    )
    init.add_argument(
        "--workflow-id", type=positive_int, required=True, help="Panoptes workflow (required)"
    )
    init.add_argument(
        "--workflows",
        type=Path,
        metavar="CSV",
        help="the Lab's workflows export (default: the versions landed under "
        "$WAREHOUSE_DATA_DIR/raw/workflow_versions)",
    )
    init.add_argument(
        "--dry-run",
        action="store_true",
        help="only print what would map, write nothing (default: off)",
    )
    init.add_argument(
        "--replace",
        action="store_true",
        help="replace a schema that exists but was not written by schema init (default: off)",
    )
    add_data_dir(init)
    init.add_argument(
        "--project-dir",
        type=Path,
        default=PROJECT_DIR,
        help="the dbt project (default: the one this package is installed from)",
    )
    init.set_defaults(run=_run_schema_init)


def _add_demo(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser(
        "demo",
        help="offline end to end: stand-in -> ingest over HTTP -> dbt build -> summary",
        description="Start the stand-in on a free port, ingest the bundled sample through the "
        "real HTTP path in two passes (the second only sees what is new), build the warehouse, "
        "and print a summary. Its data directory is recreated on every run; one it did not make "
        "is never deleted.",
    )
    add_data_dir(demo)
    _add_sample_size(demo)
    demo.add_argument(
        "--serve",
        action="store_true",
        help="after the build, keep the stand-in running (it serves the subjects' images) and "
        "serve the dashboard on 127.0.0.1 until Ctrl-C (default: stop after the summary)",
    )
    port = DEFAULT_PORTS["dashboard"]
    demo.add_argument(
        "--port",
        type=int,
        default=port,
        help=f"the dashboard's port with --serve; 0 picks a free one (default {port})",
    )
    demo.set_defaults(run=_run_demo)


def _add_standin(commands: argparse._SubParsersAction) -> None:
    standin = commands.add_parser(
        "standin",
        help="serve the bundled Galaxy Zoo sample through a local Panoptes stand-in",
        description="Serve a deterministic Galaxy Zoo sample (real workflow 6122 versions) "
        "with the Panoptes wire format: OAuth, keyset paging, optional faults. It accepts the "
        "client id and secret in PANOPTES_CLIENT_ID and PANOPTES_CLIENT_SECRET (default: "
        "demo and demo-secret).",
    )
    add_verbosity(standin, "also log every request served")
    _add_listen(standin, "standin")
    _add_sample_size(standin)
    standin.add_argument(
        "--seed", type=int, default=6122, help="the sample's random seed (default 6122)"
    )
    standin.add_argument(
        "--token-lifetime",
        type=positive_int,
        default=7200,
        metavar="SECONDS",
        help="lifetime of the access tokens it issues (default 7200)",
    )
    standin.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="misbehave: KIND[,times=N][,after=N][,path=/x][,status=N][,seconds=S][,host=H:P], "
        "KIND one of status, rate_limit, delay, hold, reset, truncate, garbage, expire_tokens, "
        "drip, loop_next, foreign_next, echo, redirect, token_redirect; "
        "e.g. 'rate_limit,times=2,seconds=1' or 'drip,seconds=0.5,path=/classifications'; "
        "repeat for several (default: none)",
    )
    standin.set_defaults(run=_run_standin)


def _add_listen(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    port = DEFAULT_PORTS[command]
    parser.add_argument(
        "--port", type=int, default=port, help=f"port; 0 picks a free one (default {port})"
    )


def _add_sample_size(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--classifications",
        type=positive_int,
        default=20_000,
        help="classifications in the sample (default 20000)",
    )
    parser.add_argument(
        "--subjects",
        type=positive_int,
        default=1_000,
        help="galaxies they are about (default 1000)",
    )


def _run_build(args: argparse.Namespace) -> int:
    from warehouse.build import build

    dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
    settings = Settings.from_env(data_dir=args.data_dir)
    return build(settings, dbt_args, args.force, project_dir=args.project_dir)


def _run_dashboard(args: argparse.Namespace) -> int:
    from warehouse.dashboard import Marts, serve

    settings = Settings.from_env(data_dir=args.data_dir)
    marts = Marts(settings.marts_dir)
    server = serve(marts, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"dashboard at http://{host}:{port}/ (reading {marts.directory})", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def _run_catalogue_import(args: argparse.Namespace) -> int:
    from ingest.lock import holding
    from warehouse.catalogues import convert_fits

    if not args.fits.is_file():
        raise OSError(f"no such file: {args.fits}")
    data_dir = Settings.from_env(data_dir=args.data_dir).data_dir
    with holding(data_dir):
        summary = convert_fits(args.fits, data_dir)
    print("\n".join(summary.lines()))
    return 0


def _run_catalogue_publish(args: argparse.Namespace) -> int:
    args.schemas, args.format = [args.schema], "catalogue"
    return _run_catalogue_write(args)


def _run_catalogue_write(args: argparse.Namespace) -> int:
    from warehouse.catalogues import write_catalogue
    from warehouse.training_labels import write_zoobot

    for schema in args.schemas:
        if not re.fullmatch(r"[A-Za-z0-9_]+", schema):
            raise OSError(f"not a schema name: {schema!r}")
    marts_dir = Settings.from_env(data_dir=args.data_dir).marts_dir
    if args.format == "zoobot":
        written = write_zoobot(args.schemas, marts_dir, args.out_dir)
    else:
        written = [
            done for schema in args.schemas
            for done in write_catalogue(schema, marts_dir, args.out_dir)
        ]  # fmt: skip
    for path, rows in written:
        print(f"wrote {path} ({rows:,} rows)")
    return 0


def _run_document_schema(args: argparse.Namespace) -> int:
    from warehouse.schema_docs import documented_schemas, write_properties

    for schema in args.schemas or documented_schemas(args.project_dir):
        print(f"wrote {write_properties(args.project_dir, schema)}")
    return 0


def _run_schema_init(args: argparse.Namespace) -> int:
    from warehouse.schema_init import init_schema

    settings = Settings.from_env(data_dir=args.data_dir)
    init_schema(
        args.project_dir, settings.data_dir, args.schema, args.workflow_id,
        workflows=args.workflows, dry_run=args.dry_run, replace=args.replace,
    )  # fmt: skip
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from standin.demo import run_demo

    settings = Settings.from_env(data_dir=args.data_dir)
    serve_port = args.port if args.serve else None
    return run_demo(settings, args.classifications, args.subjects, serve_port)


def _run_standin(args: argparse.Namespace) -> int:
    from standin import sample
    from standin.server import Fault, PanoptesStandIn, StandInData

    data = StandInData.from_sample(sample.generate(args.classifications, args.subjects, args.seed))
    credentials = Credentials.from_env()
    server = PanoptesStandIn(
        data,
        clients={credentials.client_id or "demo": credentials.client_secret or "demo-secret"},
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

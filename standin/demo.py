"""``gz-warehouse demo``: the whole pipeline on the bundled sample, offline, through real HTTP.

It starts the stand-in on a free port, ingests in two passes (the second only sees what is new),
builds the warehouse and prints a summary, in the default data directory unless told otherwise,
so that ``dbt build``, ``dbt docs generate`` or ``gz-warehouse dashboard`` run afterwards from
the repository root find it without any setting. With ``--serve`` it then keeps the stand-in
running, so the subjects' images (drawn by the stand-in) resolve, and serves the dashboard until
interrupted.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
from http.server import ThreadingHTTPServer
from pathlib import Path

import duckdb

from ingest.queries import query
from ingest.settings import Settings
from standin import sample
from standin.server import PanoptesStandIn, StandInData
from warehouse.build import build
from warehouse.serving import SERVING_DB

MARKER = ".demo-data"
FIRST_PASS_SHARE = 0.9


def run_demo(
    settings: Settings, n_classifications: int, n_subjects: int, serve_port: int | None = None
) -> int:
    """Ingest the sample through the stand-in, build and summarise; with ``serve_port``, then
    serve the dashboard on it (0: a free port) beside the stand-in until interrupted."""
    data_dir = settings.data_dir
    _fresh_directory(data_dir)
    print(
        f"generating the sample: {n_classifications:,} classifications over {n_subjects:,} subjects"
    )
    generated = sample.generate(n_classifications, n_subjects)
    data = StandInData.from_sample(generated)
    client_id, secret = "demo", secrets.token_urlsafe(16)
    env = settings.dbt_environment() | {
        "PANOPTES_CLIENT_ID": client_id,
        "PANOPTES_CLIENT_SECRET": secret,
    }
    env.pop("PANOPTES_TOKEN", None)
    api = PanoptesStandIn(data, clients={client_id: secret}).start()
    try:
        print(f"Panoptes stand-in at {api.url}")
        ingest = [sys.executable, "-m", "ingest", "api", "--project-id",
                  str(generated.project_id), "--api-url", api.url]  # fmt: skip
        first = int(len(data.classification_ids) * FIRST_PASS_SHARE)
        data.publish(first)
        print(f"\n== ingest, pass 1: the API holds {first:,} classifications")
        _run(ingest, env)
        data.publish_all()
        print(
            f"\n== ingest, pass 2: {len(data.classification_ids) - first:,} more arrived; "
            "only they are fetched"
        )
        _run(ingest, env)
        print("\n== dbt build")
        status = build(settings, [], force=True)
        if status != 0:
            raise OSError(f"dbt build exited with {status}")
        print("\n== what landed")
        _print_summary(settings)
        if serve_port is not None:
            _serve(settings, api, serve_port)
    finally:
        api.stop()
    return 0


def dashboard_server(settings: Settings, host: str, port: int) -> ThreadingHTTPServer:
    """The dashboard over this data directory's marts, started (``serve_forever`` serves it)."""
    from warehouse.dashboard import Marts, serve

    return serve(Marts(settings.marts_dir), host, port)


def _serve(settings: Settings, api: PanoptesStandIn, port: int) -> None:
    """Serve the dashboard while the stand-in keeps serving the images the subjects point at."""
    server = dashboard_server(settings, "127.0.0.1", port)
    host, bound = server.server_address[:2]
    print(
        f"\ndashboard at http://{host}:{bound}/ (subject images from the stand-in at "
        f"{api.root}); Ctrl-C stops both",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()


def _fresh_directory(data_dir: Path) -> None:
    """Recreate the demo's own directory; refuse to delete anything the demo did not create."""
    if data_dir.exists():
        if not (data_dir / MARKER).exists() and any(data_dir.iterdir()):
            raise OSError(
                f"{data_dir} exists and was not made by the demo; choose another --data-dir"
            )
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / MARKER).write_text("created by `gz-warehouse demo`; deleted on its next run\n")


def _run(command: list[str], env: dict[str, str]) -> None:
    completed = subprocess.run(command, env=env, check=False)
    if completed.returncode != 0:
        raise OSError(f"{' '.join(command[1:4])} ... exited with {completed.returncode}")


def _print_summary(settings: Settings) -> None:
    raw = settings.data_dir / "raw"
    with duckdb.connect() as con:
        landed, distinct, subjects, versions = con.execute(
            query("standin", "demo_landed"),
            {
                name: str(raw / name / "**" / "*.parquet")
                for name in ("classifications", "subjects", "workflow_versions")
            },
        ).fetchall()[0]
    print(
        f"classifications landed {landed:,} ({distinct:,} distinct), subjects {subjects:,}, "
        f"workflow versions {versions:,}"
    )
    with duckdb.connect(str(settings.warehouse_db), read_only=True) as con:
        outcomes = con.execute(query("standin", "demo_votes")).fetchall()
        catalogue = con.sql(query("standin", "demo_catalogue"))
        columns, rows = catalogue.columns, catalogue.fetchall()
    print(_accounting(outcomes))
    print()
    print("gz_decals_dr5_vote_fractions (smooth-or-featured and bar, a few galaxies):")
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]
    for line in [columns, *rows]:
        print("  " + "  ".join(str(v).rjust(w) for v, w in zip(line, widths, strict=True)))
    print(_next_steps(settings))


def _accounting(outcomes: list[tuple[str, str | None, int]], shown: int = 6) -> str:
    """What became of every landed annotation (vote_accounting), adding up to the total."""
    total = sum(n for _, _, n in outcomes)
    lines = [f"annotations landed {total:,} (one classification x one task), each accounted once:"]
    for outcome, detail, n in outcomes[:shown]:
        lines.append(f"  {n:>9,}  {outcome}" + (f": {detail}" if detail else ""))
    rest = outcomes[shown:]
    if rest:
        others = "1 other outcome or reason" if len(rest) == 1 else f"{len(rest)} other outcomes"
        lines.append(f"  {sum(n for _, _, n in rest):>9,}  {others}")
    lines.append("  (select * from vote_accounting: per subject, workflow version and question)")
    return "\n".join(lines)


def _next_steps(settings: Settings) -> str:
    """Commands to try next, naming this environment's own executables (nothing else needed)."""
    bin_dir = _shown(Path(sys.executable).parent)
    database = _shown(settings.warehouse_db)
    default = settings.data_dir == Settings().data_dir
    data_option = "" if default else f" --data-dir {_shown(settings.data_dir)}"
    return (
        f"\nnext, from here (or `source {bin_dir}/activate` first and drop the {bin_dir}/):\n"
        f"  query it:   {bin_dir}/python -c \"import duckdb; print(duckdb.connect('{database}', "
        "read_only=True).sql('select * from vote_counts limit 5'))\"\n"
        f"  dashboard:  {bin_dir}/gz-warehouse dashboard{data_option}\n"
        f"              (the galaxy images need the demo's stand-in: "
        f"`{bin_dir}/gz-warehouse demo --serve{data_option}` runs both)\n"
        f"  catalogue:  {bin_dir}/gz-warehouse catalogue publish gz_decals_dr5{data_option}\n"
        f"  BI tools and notebooks (read-only, one view per mart): "
        f"{_shown(settings.data_dir / SERVING_DB)}\n"
        f"  parquet marts (for pandas): {_shown(settings.marts_dir)}/*.parquet"
    )


def _shown(path: Path) -> str:
    """A path as short as it can be said from the working directory."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)

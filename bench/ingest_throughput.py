"""Client-side ingest throughput against the local Panoptes stand-in.

The stand-in runs in its own process so it does not share the client's interpreter; the
client runs here, in-process, so its CPU time is measured exactly. Prints a table.

    python bench/ingest_throughput.py [--classifications 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest.api_ingest import ingest_api
from ingest.landing import Landing
from ingest.panoptes import PanoptesClient
from ingest.progress import Progress
from ingest.settings import Credentials


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifications", type=int, default=100_000)
    parser.add_argument("--subjects", type=int, default=4_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    env = {**os.environ, "PANOPTES_CLIENT_ID": "bench", "PANOPTES_CLIENT_SECRET": "bench-secret"}
    command = [
        str(Path(sys.executable).parent / "gz-warehouse"),
        "standin",
        "--port",
        "0",
        "--classifications",
        str(args.classifications),
        "--subjects",
        str(args.subjects),
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = re.search(r"(http://\S+/api)", server.stdout.readline())
        if url is None:
            raise SystemExit("the stand-in did not start")
        credentials = Credentials(client_id="bench", client_secret="bench-secret")
        rows = []
        for run in range(1, args.repeat + 1):
            with tempfile.TemporaryDirectory() as tmp:
                client = PanoptesClient(url.group(1), credentials)
                server_cpu_before = _process_cpu(server.pid)
                wall, cpu = time.perf_counter(), time.process_time()
                summary = ingest_api(
                    client, Landing(Path(tmp)), 5733, [6122], progress=Progress(live=False)
                )
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                server_cpu = _process_cpu(server.pid) - server_cpu_before
                client.close()
                rows.append(
                    (
                        run,
                        summary.classifications,
                        summary.requests,
                        wall,
                        cpu,
                        server_cpu,
                        summary.classification_rate,
                    )
                )
    finally:
        server.terminate()
        server.wait()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {_memory_gb():.0f} GB, "
        f"Python {platform.python_version()}"
    )
    print(
        "ingest api: classifications + subjects + workflow versions, from empty, stand-in in "
        "its own process"
    )
    header = (
        f"{'run':>3} {'classif.':>9} {'requests':>8} {'wall s':>7} {'client cpu s':>12} "
        f"{'server cpu s':>12} {'classif./s (whole run)':>22} {'classif./s (streaming)':>22}"
    )
    print(header)
    print("-" * len(header))
    for run, count, requests, wall, cpu, server_cpu, streaming in rows:
        print(
            f"{run:>3} {count:>9,} {requests:>8,} {wall:>7.2f} {cpu:>12.2f} {server_cpu:>12.2f} "
            f"{count / wall:>22,.0f} {streaming:>22,.0f}"
        )
    return 0


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9


if __name__ == "__main__":
    sys.exit(main())

"""``python -m devkit.run.serve``: keep the emulation up and print what to export.

The `local` stack is made by `deploy up`'s steps and every domain in devkit/domains/
adds what it has no resource for, as for the run command; the printed ``export`` lines
point Airflow's secrets backend at the settings and carry the emulation's own: paste
them into another shell and run Airflow (or a single DAG file) against it.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import threading

from devkit.emulator import LocalAws
from devkit.emulator.redshift.postgres import EmbeddedPostgres
from devkit.paths import LOCAL_PG_DATA
from devkit.run.local_up import pipeline_on_stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--data-dir", default=str(LOCAL_PG_DATA), help="Postgres data dir")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop Postgres on kill too
    with EmbeddedPostgres(args.data_dir) as pg, LocalAws(pg, args.region, args.port) as aws:
        pipeline = pipeline_on_stack(aws)
        print(f"# AWS emulation at {aws.endpoint_url}; Redshift = PostgreSQL at {pg.socket_dir}")
        print("# Export these in the shell that runs Airflow, then press Ctrl-C here to stop:")
        for key, value in pipeline.env.items():
            print(f"export {key}={shlex.quote(value)}")
        print(flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\n# stopping")


if __name__ == "__main__":
    main()

"""``python -m devkit.emulator``: run the emulation until Ctrl-C and print what to export."""

from __future__ import annotations

import argparse
import shlex
import signal
import threading

from devkit.emulator import LocalAws
from devkit.postgres import DEFAULT_DATA_DIR, EmbeddedPostgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--database", default="dev", help="Redshift database name")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="Postgres data dir")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop Postgres on kill too
    with (
        EmbeddedPostgres(args.data_dir) as pg,
        LocalAws(pg, args.region, args.database, args.port) as aws,
    ):
        print(f"# AWS emulation at {aws.endpoint_url}; Redshift = {pg.uri_for(args.database)}")
        print("# Export these in the shell that runs Airflow, then press Ctrl-C here to stop:")
        for key, value in aws.environment().items():
            print(f"export {key}={shlex.quote(value)}")
        print(flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\n# stopping")


if __name__ == "__main__":
    main()

"""One night of sample extracts as files: what `python -m deploy up --sample-night` lands.

deploy up runs this module in a subprocess in the repository it deploys (--repo), so
the night matches that tree's DAGs, and uploads the files it wrote: the directory's
tree is the landing bucket's keys. The night is generated *for* the given day (the TICKIT
facts moved there), because the nightly DAGs check that each extract's event
times lie inside their data interval.

    python -m deploy.sample_data.night --out DIR --day 2026-12-06 [--scale 1]
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from deploy.sample_data import synthea, tickit

SYNTHEA_TABLES = ("patients", "encounters", "conditions", "observations")


def night_objects(day: date, scale: float = 1.0) -> dict[str, bytes]:
    """Landing key -> bytes: TICKIT's extracts and _SUCCESS markers, one Synthea export."""
    objects = tickit.extract_objects(tickit.generate(scale, first_day=day), day)
    export = synthea.generate(scale=synthea.DEFAULT_SCALE * scale)
    for table in SYNTHEA_TABLES:
        objects[f"synthea/{table}/ds={day.isoformat()}/{table}.csv"] = export[table]
    return objects


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--day", type=date.fromisoformat, required=True, help="the night, ds")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    for key, body in night_objects(args.day, args.scale).items():
        path = args.out / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


if __name__ == "__main__":
    main()

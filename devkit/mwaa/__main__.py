"""`python -m devkit.mwaa`: build MWAA's environment if needed, parse the deployed DAGs there.

.venv/bin/python -m devkit.mwaa            # build if needed, parse the DAGs, print them
.venv/bin/python -m devkit.mwaa --build    # build if needed, print the venv's python
"""

from __future__ import annotations

import argparse
import sys

from devkit.mwaa import env as mwaa_env
from devkit.mwaa import parse as mwaa_parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devkit.mwaa", description=__doc__)
    parser.add_argument("--build", action="store_true", help="only build; print the python")
    args = parser.parse_args(argv)
    try:
        built = mwaa_env.ensure()
        if args.build:
            print(built)
            return 0
        result = mwaa_parse.parse_deployed_dags()
    except mwaa_env.MwaaEnvError as error:
        print(f"mwaa_env: {error}", file=sys.stderr)
        return 1
    print(mwaa_parse.report(result))
    return 1 if mwaa_parse.problems(result) else 0


if __name__ == "__main__":
    sys.exit(main())

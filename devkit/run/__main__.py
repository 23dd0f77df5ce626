"""`python -m devkit.run`: the run command (run_pipelines_locally.sh calls it)."""

import sys

from devkit.run.pipelines import main

sys.exit(main())
